import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { EaselError } from '../errors';
import type { ModelFamily } from './catalog';
import { ensureFreeSpace, freeBytesOn } from './disk-space';
import { createNodeTransport, type HttpTransport, type ProxySettings } from './http';
import {
  hubFile,
  localPathFor,
  estimateDownload,
  planDownload,
  type DownloadPlan,
  type PlannedFile,
  type PlannerSettings,
  type PlanRequest,
} from './download-plan';
import { HubClient } from './hub-client';
import { readManifest, writeManifest, type ModelManifest } from './manifest';
import { removePartial, transferFile, writeChunk, type TransferSettings } from './resumable-transfer';
import { commitMatchesPin, resolvePinnedRevision } from './revision';
import { realClock, type Clock } from './retry';

/**
 * Downloads a model from the hub into its folder: plans what is missing (download-plan.ts), checks the
 * free space, fetches a few files at once with resumable
 * transfers, and records each verified file in the folder's manifest as it lands. Pause keeps the
 * partial files for the next run; cancel removes them.
 */

export interface DownloadRequest extends PlanRequest {
  family?: ModelFamily;
  /** Cancel: stops and removes this download's partial files. */
  signal?: AbortSignal;
  /** Pause: stops and keeps the partial files, so the next download resumes. */
  pauseSignal?: AbortSignal;
  onEvent?: (event: DownloadEvent) => void;
}

export interface FileProgress {
  path: string;
  bytes: number;
  total: number | undefined;
}

export interface OverallProgress {
  bytes: number;
  total: number;
  /** Smoothed over recent seconds; 0 until measured. */
  bytesPerSecond: number;
  /** Undefined until a speed is known. */
  etaSeconds: number | undefined;
}

export type DownloadEvent =
  | { type: 'plan'; modelId: string; plan: DownloadPlan }
  | { type: 'progress'; modelId: string; file: FileProgress | undefined; overall: OverallProgress }
  | { type: 'file-complete'; modelId: string; path: string; bytes: number; sha256: string }
  | { type: 'retry'; modelId: string; path: string; attempt: number; delayMs: number; message: string }
  | { type: 'restart'; modelId: string; path: string; reason: string }
  | { type: 'complete'; modelId: string; bytes: number };

export interface DownloadResult {
  modelId: string;
  destDir: string;
  /** Bytes fetched over the network in this run. */
  transferredBytes: number;
  manifest: ModelManifest;
}

export type { Clock };

/** The file-system operations worth replacing in tests (a full disk) or on odd platforms. */
export interface DownloadFs {
  /** Bytes available to this user on the volume holding `dir`. */
  freeBytes(dir: string): Promise<number>;
  write(handle: FileHandle, chunk: Buffer, position: number): Promise<void>;
}

export interface DownloaderOptions {
  /** Hub or mirror base URL; default https://huggingface.co. */
  hubEndpoint?: string;
  /** Hugging Face access token: sent only over https to the hub endpoint's origin, never logged. */
  token?: string;
  /** Replaces the built-in node:http(s) client (then `proxies` and `ca` are unused). */
  transport?: HttpTransport;
  proxies?: ProxySettings;
  ca?: string | Buffer | Array<string | Buffer>;
  clock?: Clock;
  fs?: Partial<DownloadFs>;
  /** Files fetched at once; default 3. */
  concurrency?: number;
  /** No bytes (or no answer) for this long -> abort and retry; default 30 s. */
  stallTimeoutMs?: number;
  /** Retries per file without progress; default 6. */
  maxRetries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  progressIntervalMs?: number;
  /** Diagnostic lines; never contain the token. */
  log?: (line: string) => void;
}

type StopReason = 'cancel' | 'pause' | 'failed';

/**
 * A file whose size neither the catalog nor the server states may grow to twice the catalog's estimate
 * (and at least this much more): past that, the server is not sending the file Easel asked for.
 */
const UNSIZED_SLACK_BYTES = 1024 * 1024;

function unsizedLimit(approxBytes: number | undefined): number | undefined {
  return approxBytes === undefined ? undefined : Math.max(2 * approxBytes, approxBytes + UNSIZED_SLACK_BYTES);
}

class SpeedMeter {
  private bytesPerSecond = 0;
  private lastTime: number;
  private lastBytes = 0;

  constructor(now: number) {
    this.lastTime = now;
  }

  sample(now: number, transferred: number): number {
    const seconds = (now - this.lastTime) / 1000;
    if (seconds >= 0.5) {
      const instant = (transferred - this.lastBytes) / seconds;
      this.bytesPerSecond = this.bytesPerSecond === 0 ? instant : 0.3 * instant + 0.7 * this.bytesPerSecond;
      this.lastTime = now;
      this.lastBytes = transferred;
    }
    return this.bytesPerSecond;
  }
}

/** Everything one `download` call tracks. */
class DownloadRun {
  readonly stop = new AbortController();
  /** The request with its revision resolved to the full commit hash once the hub has been asked. */
  request: DownloadRequest;
  stopReason: StopReason | undefined;
  transferred = 0;
  readonly fileBytes = new Map<string, number>();
  lastProgressAt = 0;
  manifestWrites: Promise<void> = Promise.resolve();

  constructor(
    request: DownloadRequest,
    readonly manifest: ModelManifest,
    readonly speed: SpeedMeter,
    public totalBytes: number,
  ) {
    this.request = request;
  }

  halt(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.stop.abort(new EaselError('cancelled', 'Download stopped'));
  }

  overallBytes(): number {
    let sum = 0;
    for (const bytes of this.fileBytes.values()) sum += bytes;
    return sum;
  }
}

export class Downloader {
  private readonly hub: HubClient;
  private readonly clock: Clock;
  private readonly fs: DownloadFs;
  private readonly concurrency: number;
  private readonly transfer: TransferSettings;
  private readonly planner: PlannerSettings;
  private readonly progressIntervalMs: number;

  constructor(options: DownloaderOptions = {}) {
    const stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.hub = new HubClient({
      ...(options.hubEndpoint !== undefined ? { endpoint: options.hubEndpoint } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      transport:
        options.transport ?? createNodeTransport({ proxies: options.proxies ?? {}, ...(options.ca ? { ca: options.ca } : {}) }),
      timeoutMs: stallTimeoutMs,
    });
    this.clock = options.clock ?? realClock;
    this.fs = { freeBytes: freeBytesOn, write: writeChunk, ...options.fs };
    this.concurrency = Math.max(1, options.concurrency ?? 3);
    this.progressIntervalMs = options.progressIntervalMs ?? 250;
    this.transfer = {
      hub: this.hub,
      clock: this.clock,
      write: (handle, chunk, position) => this.fs.write(handle, chunk, position),
      stallTimeoutMs,
      retry: {
        maxRetries: options.maxRetries ?? 6,
        baseDelayMs: options.retryBaseDelayMs ?? 1_000,
        maxDelayMs: options.retryMaxDelayMs ?? 60_000,
      },
      log: options.log ?? (() => undefined),
    };
    this.planner = { hub: this.hub, clock: this.clock, retry: this.transfer.retry, concurrency: this.concurrency };
  }

  /** What a download would fetch: exact sizes from the hub, and what is already on disk. */
  async plan(request: DownloadRequest, signal?: AbortSignal): Promise<DownloadPlan> {
    const manifest = await this.loadOrCreateManifest(request);
    return planDownload(this.planner, await this.pin(request, manifest, signal), manifest, signal);
  }

  /** The plan by the catalog's sizes and the disk alone: answers at once, offline too. */
  async estimate(request: DownloadRequest): Promise<DownloadPlan> {
    return estimateDownload(request, await this.loadOrCreateManifest(request));
  }

  async download(request: DownloadRequest): Promise<DownloadResult> {
    await fsp.mkdir(request.destDir, { recursive: true });
    const manifest = await this.loadOrCreateManifest(request);
    const run = new DownloadRun(request, manifest, new SpeedMeter(this.clock.now()), 0);
    const onCancel = (): void => run.halt('cancel');
    const onPause = (): void => run.halt('pause');
    request.signal?.addEventListener('abort', onCancel, { once: true });
    request.pauseSignal?.addEventListener('abort', onPause, { once: true });
    if (request.signal?.aborted) run.halt('cancel');
    if (request.pauseSignal?.aborted) run.halt('pause');
    try {
      run.request = await this.pin(request, manifest, run.stop.signal);
      const plan = await planDownload(this.planner, run.request, manifest, run.stop.signal);
      run.totalBytes = plan.totalBytes;
      for (const file of plan.files) run.fileBytes.set(file.path, file.presentBytes);
      request.onEvent?.({ type: 'plan', modelId: request.modelId, plan });
      await ensureFreeSpace(request.destDir, plan.remainingBytes, this.fs.freeBytes);

      const pending = plan.files.filter((file) => !file.complete);
      let firstFailure: unknown;
      const queue = [...pending];
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next && !run.stopReason; next = queue.shift()) {
          try {
            await this.fetchFile(run, next);
          } catch (error) {
            if (!run.stopReason) {
              firstFailure = error;
              run.halt('failed');
            } else if (run.stopReason === 'failed' && firstFailure === undefined) {
              firstFailure = error;
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, pending.length) }, worker));
      await run.manifestWrites;
      if (run.stopReason === 'failed') throw firstFailure;
      this.throwIfStopped(run);
      this.emitProgress(run, undefined, true);
      request.onEvent?.({ type: 'complete', modelId: request.modelId, bytes: run.overallBytes() });
      return { modelId: request.modelId, destDir: request.destDir, transferredBytes: run.transferred, manifest };
    } catch (error) {
      await run.manifestWrites.catch(() => undefined);
      if (run.stopReason === 'cancel') {
        await this.removePartials(request);
        throw new EaselError('cancelled', `The download of ${request.displayName ?? request.modelId} was cancelled.`, {
          modelId: request.modelId,
        });
      }
      if (run.stopReason === 'pause') {
        throw new EaselError(
          'cancelled',
          `The download of ${request.displayName ?? request.modelId} is paused. Start it again to resume.`,
          { modelId: request.modelId, paused: true },
        );
      }
      throw error;
    } finally {
      request.signal?.removeEventListener('abort', onCancel);
      request.pauseSignal?.removeEventListener('abort', onPause);
    }
  }

  private throwIfStopped(run: DownloadRun): void {
    if (run.stopReason) throw new EaselError('cancelled', 'Download stopped');
  }

  /**
   * The request with its revision as the full commit hash (revision.ts), which the manifest records; the files
   * are fetched from that commit.
   */
  private async pin(request: DownloadRequest, manifest: ModelManifest, signal: AbortSignal | undefined): Promise<DownloadRequest> {
    const recorded = manifest.source.kind === 'huggingface' ? manifest.source.revision : undefined;
    const revision = await resolvePinnedRevision(this.planner, request, recorded, signal);
    manifest.source = { kind: 'huggingface', repo: request.repo, revision, endpoint: this.hub.endpoint };
    return { ...request, revision };
  }

  private async loadOrCreateManifest(request: DownloadRequest): Promise<ModelManifest> {
    const existing = await readManifest(request.destDir).catch(() => undefined);
    const recorded = existing?.source.kind === 'huggingface' && existing.source.repo === request.repo ? existing.source.revision : undefined;
    const sameSource = recorded !== undefined && commitMatchesPin(recorded, request.revision);
    return {
      version: 1,
      id: request.modelId,
      displayName: request.displayName ?? request.modelId,
      family: request.family ?? existing?.family ?? 'sd15',
      source: { kind: 'huggingface', repo: request.repo, revision: sameSource ? recorded : request.revision, endpoint: this.hub.endpoint },
      expectedFiles: request.files.map((f) => f.path),
      files: sameSource && existing ? existing.files : {},
      updatedAt: new Date().toISOString(),
    };
  }

  /** Drops what a paused or failed download left behind; verified files stay. */
  async removePartials(request: Pick<DownloadRequest, 'files' | 'destDir'>): Promise<void> {
    for (const spec of request.files) await removePartial(localPathFor(request.destDir, spec.path));
  }

  private async fetchFile(run: DownloadRun, planned: PlannedFile): Promise<void> {
    const { request } = run;
    const emit = (event: DownloadEvent): void => request.onEvent?.(event);
    const { bytes, sha256 } = await transferFile(this.transfer, {
      file: hubFile(request, planned.path),
      finalPath: localPathFor(request.destDir, planned.path),
      expectedBytes: planned.bytes,
      expectedSha256: planned.sha256,
      presentBytes: run.fileBytes.get(planned.path) ?? 0,
      unsizedLimit: unsizedLimit(request.files.find((spec) => spec.path === planned.path)?.approxBytes),
      stop: run.stop.signal,
      onProgress: (position, total, delta) => {
        run.transferred += delta;
        run.fileBytes.set(planned.path, position);
        this.emitProgress(run, { path: planned.path, bytes: position, total }, false);
      },
      onRetry: (attempt, delayMs, message) =>
        emit({ type: 'retry', modelId: request.modelId, path: planned.path, attempt, delayMs, message }),
      onRestart: (reason) => {
        emit({ type: 'restart', modelId: request.modelId, path: planned.path, reason });
        run.fileBytes.set(planned.path, 0);
      },
      remainingBytes: () => run.totalBytes - run.overallBytes(),
    });
    run.fileBytes.set(planned.path, bytes);
    run.manifest.files[planned.path] = { bytes, sha256 };
    run.manifestWrites = run.manifestWrites.then(() => writeManifest(request.destDir, run.manifest));
    await run.manifestWrites;
    emit({ type: 'file-complete', modelId: request.modelId, path: planned.path, bytes, sha256 });
    this.emitProgress(run, { path: planned.path, bytes, total: bytes }, true);
  }

  private emitProgress(run: DownloadRun, file: FileProgress | undefined, force: boolean): void {
    const now = this.clock.now();
    const speed = run.speed.sample(now, run.transferred);
    if (!force && now - run.lastProgressAt < this.progressIntervalMs) return;
    run.lastProgressAt = now;
    const bytes = run.overallBytes();
    const total = Math.max(run.totalBytes, bytes);
    const overall: OverallProgress = {
      bytes,
      total,
      bytesPerSecond: speed,
      etaSeconds: speed > 0 ? (total - bytes) / speed : undefined,
    };
    run.request.onEvent?.({
      type: 'progress',
      modelId: run.request.modelId,
      file,
      overall,
    });
  }
}
