import { DEFAULT_HUB_ENDPOINT } from '../../../src-preload/api';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { EaselError } from '../errors';
import type { ModelFamily } from './catalog';
import { formatBytes, formatProgress } from '../format';
import { createNodeTransport, type HttpTransport, type ProxySettings } from './http';
import { writeFileAtomic } from '../fs/atomic';
import { readManifest, writeManifest, type ModelManifest } from './manifest';


export interface DownloadFileSpec {
  /** Path in the repository and in the model folder, `/`-separated. */
  path: string;
  /** Exact size, when known ahead of time. */
  bytes?: number;
  /** Expected lower-case hex SHA-256, when known ahead of time. */
  sha256?: string;
  /** Planning estimate, used only when the hub states no size. */
  approxBytes?: number;
}

export interface DownloadRequest {
  modelId: string;
  displayName?: string;
  family?: ModelFamily;
  repo: string;
  revision: string;
  files: DownloadFileSpec[];
  /** The model folder; created when missing. */
  destDir: string;
  /** Cancel: stops and removes this download's partial files. */
  signal?: AbortSignal;
  /** Pause: stops and keeps the partial files, so the next download resumes. */
  pauseSignal?: AbortSignal;
  onEvent?: (event: DownloadEvent) => void;
}

export interface PlannedFile {
  path: string;
  /** Exact size from the hub (or the catalog); undefined when neither states one. */
  bytes: number | undefined;
  sha256: string | undefined;
  /** Bytes already on disk: the whole file when complete, else the partial. */
  presentBytes: number;
  complete: boolean;
}

export interface DownloadPlan {
  modelId: string;
  files: PlannedFile[];
  totalBytes: number;
  remainingBytes: number;
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

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The file-system operations worth replacing in tests (a full disk) or on odd platforms. */
export interface DownloadFs {
  /** Bytes available to this user on the volume holding `dir`. */
  freeBytes(dir: string): Promise<number>;
  write(handle: FileHandle, chunk: Buffer, position: number): Promise<void>;
}

export interface DownloaderOptions {
  /** Hub or mirror base URL; default https://huggingface.co. */
  hubEndpoint?: string;
  /** Hugging Face access token: sent only to the hub endpoint's origin, never logged. */
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

/** Saved beside `NAME.partial` as `NAME.partial.json`. */
interface PartialState {
  url: string;
  /** Strong ETag or Last-Modified of the bytes in the partial, for If-Range. */
  validator?: string;
  expectedBytes?: number;
  expectedSha256?: string;
  bytes: number;
  updatedAt: string;
}

interface RemoteInfo {
  bytes: number | undefined;
  sha256: string | undefined;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

const realFs: DownloadFs = {
  async freeBytes(dir) {
    const stats = await fsp.statfs(dir);
    return stats.bavail * stats.bsize;
  },
  async write(handle, chunk, position) {
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
      written += bytesWritten;
    }
  },
};

/** A failure worth another try: dropped connection, stall, 5xx, 429. */
class RetryableError extends Error {}

type StopReason = 'cancel' | 'pause' | 'failed';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHA1_HEX = /^[0-9a-f]{40}$/;

function unquoteEtag(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseSize(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The mount point holding `dir` (walks up while the device stays the same), for messages. */
/** The mount point of the file system holding `dir` (an existing folder). */
export async function mountPointOf(dir: string): Promise<string> {
  let current = path.resolve(dir);
  const device = (await fsp.stat(current)).dev;
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) return current;
    const parentDevice = (await fsp.stat(parent)).dev;
    if (parentDevice !== device) return current;
    current = parent;
  }
}

async function existingAncestor(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await fsp.stat(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return undefined;
  }
}

/** Hashes the first `length` bytes of `file` into `hash`, streaming. */
async function hashPrefix(file: string, length: number, hash: Hash): Promise<void> {
  if (length === 0) return;
  const stream = createReadStream(file, { start: 0, end: length - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  const size = (await fsp.stat(file)).size;
  await hashPrefix(file, size, hash);
  return hash.digest('hex');
}

async function gitBlobSha1(file: string): Promise<string> {
  const content = await fsp.readFile(file);
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function repoFileUrl(endpoint: string, repo: string, revision: string, file: string): URL {
  const base = endpoint.replace(/\/+$/, '');
  const encodedPath = file.split('/').map(encodeURIComponent).join('/');
  return new URL(`${base}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`);
}

/** Refuses repository paths that would land outside the model folder. */
function localPathFor(destDir: string, file: string): string {
  const target = path.resolve(destDir, ...file.split('/'));
  const root = path.resolve(destDir);
  if (file.includes('\\') || !target.startsWith(root + path.sep)) {
    throw new EaselError('invalid_request', `The file name ${JSON.stringify(file)} is not a safe path inside a model folder.`);
  }
  return target;
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
  stopReason: StopReason | undefined;
  transferred = 0;
  readonly fileBytes = new Map<string, number>();
  lastProgressAt = 0;
  manifestWrites: Promise<void> = Promise.resolve();

  constructor(
    readonly request: DownloadRequest,
    readonly manifest: ModelManifest,
    readonly speed: SpeedMeter,
    public totalBytes: number,
  ) {}

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
  private readonly endpoint: string;
  private readonly hubOrigin: string;
  private readonly token: string | undefined;
  private readonly transport: HttpTransport;
  private readonly clock: Clock;
  private readonly fs: DownloadFs;
  private readonly concurrency: number;
  private readonly stallTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly progressIntervalMs: number;
  private readonly log: (line: string) => void;

  constructor(options: DownloaderOptions = {}) {
    this.endpoint = (options.hubEndpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
    let origin: string;
    try {
      origin = new URL(this.endpoint).origin;
    } catch {
      throw new EaselError('invalid_request', `The hub address ${JSON.stringify(this.endpoint)} is not a valid URL.`);
    }
    if (!/^https?:$/.test(new URL(this.endpoint).protocol)) {
      throw new EaselError('invalid_request', `The hub address ${this.endpoint} must start with https:// or http://.`);
    }
    this.hubOrigin = origin;
    this.token = options.token && options.token.trim() !== '' ? options.token.trim() : undefined;
    this.transport =
      options.transport ?? createNodeTransport({ proxies: options.proxies ?? {}, ...(options.ca ? { ca: options.ca } : {}) });
    this.clock = options.clock ?? realClock;
    this.fs = { ...realFs, ...options.fs };
    this.concurrency = Math.max(1, options.concurrency ?? 3);
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 6;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 1_000;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 60_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 250;
    this.log = options.log ?? (() => undefined);
  }

  /** What a download would fetch: exact sizes from the hub, and what is already on disk. */
  async plan(request: DownloadRequest, signal?: AbortSignal): Promise<DownloadPlan> {
    const manifest = await this.loadOrCreateManifest(request);
    return this.planWith(request, manifest, signal);
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
      const plan = await this.planWith(request, manifest, run.stop.signal);
      run.totalBytes = plan.totalBytes;
      for (const file of plan.files) run.fileBytes.set(file.path, file.presentBytes);
      request.onEvent?.({ type: 'plan', modelId: request.modelId, plan });
      await this.checkFreeSpace(request.destDir, plan.remainingBytes);

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

  private async loadOrCreateManifest(request: DownloadRequest): Promise<ModelManifest> {
    const existing = await readManifest(request.destDir).catch(() => undefined);
    const sameSource =
      existing?.source.kind === 'huggingface' &&
      existing.source.repo === request.repo &&
      existing.source.revision === request.revision;
    return {
      version: 1,
      id: request.modelId,
      displayName: request.displayName ?? request.modelId,
      family: request.family ?? existing?.family ?? 'sd15',
      source: { kind: 'huggingface', repo: request.repo, revision: request.revision, endpoint: this.endpoint },
      expectedFiles: request.files.map((f) => f.path),
      files: sameSource && existing ? existing.files : {},
      updatedAt: new Date().toISOString(),
    };
  }

  private async planWith(request: DownloadRequest, manifest: ModelManifest, signal?: AbortSignal): Promise<DownloadPlan> {
    const files: PlannedFile[] = [];
    const remote = new Map<string, RemoteInfo>();
    const needRemote: DownloadFileSpec[] = [];
    for (const spec of request.files) {
      const recorded = manifest.files[spec.path];
      const finalSize = await fileSize(localPathFor(request.destDir, spec.path));
      const recordedOk =
        recorded !== undefined &&
        finalSize === recorded.bytes &&
        (spec.bytes === undefined || spec.bytes === recorded.bytes) &&
        (spec.sha256 === undefined || spec.sha256 === recorded.sha256);
      if (!recordedOk) {
        delete manifest.files[spec.path];
        needRemote.push(spec);
      }
    }
    const queue = [...needRemote];
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      for (let spec = queue.shift(); spec && !failure; spec = queue.shift()) {
        try {
          remote.set(spec.path, await this.headWithRetry(request, spec, signal));
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    // Every worker finishes before a failure is reported, so no request outlives the call.
    await Promise.all(Array.from({ length: Math.min(this.concurrency, needRemote.length) }, worker));
    if (failure) throw failure.error;

    for (const spec of request.files) {
      const recorded = manifest.files[spec.path];
      if (recorded) {
        files.push({ path: spec.path, bytes: recorded.bytes, sha256: recorded.sha256, presentBytes: recorded.bytes, complete: true });
        continue;
      }
      const info = remote.get(spec.path);
      const bytes = spec.bytes ?? info?.bytes;
      const sha256 = spec.sha256 ?? info?.sha256;
      if (spec.sha256 && info?.sha256 && spec.sha256 !== info.sha256) {
        throw new EaselError(
          'checksum_mismatch',
          `${spec.path} on the hub is not the file Easel expects (its SHA-256 differs from the catalog's). The repository may have changed; nothing was downloaded.`,
          { file: spec.path, expected: spec.sha256, actual: info.sha256 },
        );
      }
      const finalPath = localPathFor(request.destDir, spec.path);
      const partialBytes = (await this.usablePartial(finalPath, sha256)) ?? 0;
      files.push({ path: spec.path, bytes, sha256, presentBytes: partialBytes, complete: false });
    }
    const sizeOf = (file: PlannedFile): number =>
      file.bytes ?? request.files.find((f) => f.path === file.path)?.approxBytes ?? file.presentBytes;
    const totalBytes = files.reduce((sum, f) => sum + sizeOf(f), 0);
    const remainingBytes = files.reduce((sum, f) => sum + Math.max(0, sizeOf(f) - f.presentBytes), 0);
    return { modelId: request.modelId, files, totalBytes, remainingBytes };
  }

  /** Bytes of a partial worth resuming, or undefined when there is none or it belongs to another file version. */
  private async usablePartial(finalPath: string, expectedSha256: string | undefined): Promise<number | undefined> {
    const size = await fileSize(`${finalPath}.partial`);
    if (size === undefined) return undefined;
    const state = await this.readState(finalPath);
    if (!state) return undefined;
    if (expectedSha256 && state.expectedSha256 && expectedSha256 !== state.expectedSha256) return undefined;
    return size;
  }

  private async readState(finalPath: string): Promise<PartialState | undefined> {
    try {
      return JSON.parse(await fsp.readFile(`${finalPath}.partial.json`, 'utf8')) as PartialState;
    } catch {
      return undefined;
    }
  }

  private async writeState(finalPath: string, state: PartialState): Promise<void> {
    await writeFileAtomic(`${finalPath}.partial.json`, JSON.stringify(state));
  }

  /** Drops what a paused or failed download left behind; verified files stay. */
  async removePartials(request: Pick<DownloadRequest, 'files' | 'destDir'>): Promise<void> {
    for (const spec of request.files) {
      const finalPath = localPathFor(request.destDir, spec.path);
      await fsp.rm(`${finalPath}.partial`, { force: true });
      await fsp.rm(`${finalPath}.partial.json`, { force: true });
    }
  }

  private async checkFreeSpace(destDir: string, neededBytes: number): Promise<void> {
    if (neededBytes <= 0) return;
    const dir = await existingAncestor(destDir);
    const free = await this.fs.freeBytes(dir);
    if (free >= neededBytes) return;
    const mount = await mountPointOf(dir).catch(() => dir);
    throw new EaselError(
      'disk_full',
      `Not enough disk space: ${formatBytes(neededBytes)} needed, ${formatBytes(free)} free on ${mount}`,
      { neededBytes, freeBytes: free, path: mount },
    );
  }

  /** GET or HEAD through the hub's redirects; the token goes only to the hub's own origin. */
  private async request(
    url: URL,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<{ response: http.IncomingMessage; linkedSize?: number; linkedEtag?: string; hubEtag?: string }> {
    let current = url;
    let linkedSize: number | undefined;
    let linkedEtag: string | undefined;
    let hubEtag: string | undefined;
    for (let hop = 0; hop <= 10; hop += 1) {
      const hopHeaders: Record<string, string> = {
        'user-agent': 'Easel (model downloader)',
        'accept-encoding': 'identity',
        ...headers,
      };
      if (this.token && current.origin === this.hubOrigin) hopHeaders.authorization = `Bearer ${this.token}`;
      let response: http.IncomingMessage;
      try {
        const options = { method, headers: hopHeaders, timeoutMs: this.stallTimeoutMs };
        response = await this.transport(current, signal ? { ...options, signal } : options);
      } catch (error) {
        throw this.networkError(error, current);
      }
      linkedSize ??= parseSize(header(response, 'x-linked-size'));
      linkedEtag ??= unquoteEtag(header(response, 'x-linked-etag'));
      if (current.origin === this.hubOrigin) hubEtag ??= unquoteEtag(header(response, 'etag'));
      const status = response.statusCode ?? 0;
      const location = header(response, 'location');
      const isRedirect = status >= 300 && status < 400 && location !== undefined;
      if (isRedirect && !(method === 'HEAD' && linkedSize !== undefined)) {
        response.resume();
        current = new URL(location, current);
        continue;
      }
      return {
        response,
        ...(linkedSize !== undefined ? { linkedSize } : {}),
        ...(linkedEtag !== undefined ? { linkedEtag } : {}),
        ...(hubEtag !== undefined ? { hubEtag } : {}),
      };
    }
    throw new EaselError('download_failed', `Too many redirects while fetching ${url.pathname}.`);
  }

  private networkError(error: unknown, url: URL): Error {
    if (error instanceof EaselError) return error;
    const code = errnoCode(error);
    if (code === 'EPROXY') {
      const status = (error as { status?: number }).status;
      const message = (error as Error).message;
      if (status === 407) {
        return new EaselError('network', `${message}. The proxy needs a user name and password in HTTPS_PROXY.`);
      }
      return new RetryableError(message);
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new RetryableError(`Cannot find ${url.hostname}: check the internet connection or the hub address`);
    }
    if (code === 'ECONNREFUSED') return new RetryableError(`${url.host} refused the connection`);
    if (code === 'ETIMEDOUT') return new RetryableError(`No answer from ${url.host}`);
    const certificate = code?.startsWith('ERR_TLS') || code?.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT';
    if (certificate) {
      return new EaselError(
        'network',
        `The certificate of ${url.host} is not trusted (${code}). If a company proxy inspects HTTPS, add its certificate authority in Settings.`,
      );
    }
    return new RetryableError(`Connection to ${url.host} failed (${code ?? (error as Error).message})`);
  }

  private statusError(status: number, request: DownloadRequest, file: string): Error {
    const name = request.displayName ?? request.modelId;
    if (status === 401 || status === 403) {
      return new EaselError(
        'unauthorized',
        this.token
          ? `Hugging Face refused the access token for ${request.repo}. ${name} is gated: accept its licence on the model page with the account that owns the token, or use another token.`
          : `${name} is gated on Hugging Face: accept its licence on ${this.endpoint}/${request.repo} and add an access token in Settings.`,
        { status, repo: request.repo },
      );
    }
    if (status === 404) {
      return new EaselError(
        'not_found',
        `${file} was not found in ${request.repo} at revision ${request.revision}. The catalog entry or the hub address may be out of date.`,
        { status, file },
      );
    }
    if (status === 429 || status >= 500) return new RetryableError(`The server answered HTTP ${status}`);
    return new EaselError('download_failed', `Downloading ${file} failed: the server answered HTTP ${status}.`, { status, file });
  }

  private async headWithRetry(request: DownloadRequest, spec: DownloadFileSpec, signal?: AbortSignal): Promise<RemoteInfo> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.head(request, spec, signal);
      } catch (error) {
        if (!(error instanceof RetryableError) || signal?.aborted) throw error;
        if (attempt >= this.maxRetries) {
          throw new EaselError('network', `${error.message}. Check the connection and try again.`, { file: spec.path });
        }
        await this.clock.sleep(this.backoff(attempt + 1), signal);
      }
    }
  }

  private async head(request: DownloadRequest, spec: DownloadFileSpec, signal?: AbortSignal): Promise<RemoteInfo> {
    const url = repoFileUrl(this.endpoint, request.repo, request.revision, spec.path);
    const { response, linkedSize, linkedEtag } = await this.request(url, 'HEAD', {}, signal);
    response.resume();
    const status = response.statusCode ?? 0;
    if (!(status >= 200 && status < 400)) throw this.statusError(status, request, spec.path);
    const bytes = linkedSize ?? parseSize(header(response, 'content-length'));
    const sha256 = linkedEtag && SHA256_HEX.test(linkedEtag) ? linkedEtag : undefined;
    return { bytes, sha256 };
  }

  private backoff(attempt: number): number {
    return Math.min(this.retryMaxDelayMs, this.retryBaseDelayMs * 2 ** (attempt - 1));
  }

  private async fetchFile(run: DownloadRun, planned: PlannedFile): Promise<void> {
    const { request } = run;
    let attempt = 0;
    const context: TransferContext = { hash: createHash('sha256'), hashedBytes: 0, expectedBytes: planned.bytes, expectedSha256: planned.sha256 };
    for (;;) {
      const before = run.fileBytes.get(planned.path) ?? 0;
      try {
        await this.transferOnce(run, planned, context);
        return;
      } catch (error) {
        if (run.stopReason) throw error;
        if (!(error instanceof RetryableError)) throw error;
        const after = run.fileBytes.get(planned.path) ?? 0;
        attempt = after > before ? 1 : attempt + 1;
        const total = context.expectedBytes;
        const where = total ? `at ${formatProgress(after, total)}` : `after ${formatBytes(after)}`;
        if (attempt > this.maxRetries) {
          throw new EaselError(
            'network',
            `${error.message} ${where} of ${planned.path}, ${this.maxRetries} times in a row. Check the connection and download again: it resumes where it stopped.`,
            { file: planned.path, bytes: after, total },
          );
        }
        const delayMs = this.backoff(attempt);
        const message = `${error.message} ${where} of ${planned.path} — will resume`;
        this.log(message);
        request.onEvent?.({ type: 'retry', modelId: request.modelId, path: planned.path, attempt, delayMs, message });
        await this.clock.sleep(delayMs, run.stop.signal);
      }
    }
  }

  private async transferOnce(run: DownloadRun, planned: PlannedFile, context: TransferContext): Promise<void> {
    const { request } = run;
    const finalPath = localPathFor(request.destDir, planned.path);
    const partialPath = `${finalPath}.partial`;
    await fsp.mkdir(path.dirname(finalPath), { recursive: true });

    const state = await this.readState(finalPath);
    let offset = (await this.usablePartial(finalPath, context.expectedSha256)) ?? 0;
    if (offset === 0) await fsp.rm(partialPath, { force: true });
    if (offset !== context.hashedBytes) {
      // The hash must cover exactly the bytes on disk: recompute it over the partial.
      context.hash = createHash('sha256');
      await hashPrefix(partialPath, offset, context.hash);
      context.hashedBytes = offset;
    }

    const url = repoFileUrl(this.endpoint, request.repo, request.revision, planned.path);
    const headers: Record<string, string> = {};
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (state?.validator) headers['if-range'] = state.validator;
    }
    const { response, linkedSize, linkedEtag, hubEtag } = await this.request(url, 'GET', headers, run.stop.signal);
    const status = response.statusCode ?? 0;

    if (linkedSize !== undefined) context.expectedBytes ??= linkedSize;
    if (linkedEtag && SHA256_HEX.test(linkedEtag)) {
      if (context.expectedSha256 && context.expectedSha256 !== linkedEtag) {
        response.destroy();
        throw new EaselError(
          'checksum_mismatch',
          `${planned.path} changed on the hub while it was downloading. Download again to fetch the new version.`,
          { file: planned.path, expected: context.expectedSha256, actual: linkedEtag },
        );
      }
      context.expectedSha256 = linkedEtag;
    }
    const gitSha1 = linkedEtag === undefined && hubEtag && SHA1_HEX.test(hubEtag) ? hubEtag : undefined;

    if (status === 416) {
      response.resume();
      const total = parseSize(/\*\/(\d+)/.exec(header(response, 'content-range') ?? '')?.[1]);
      if (offset > 0 && total === offset && (context.expectedBytes === undefined || context.expectedBytes === offset)) {
        context.expectedBytes = offset;
        await this.finishFile(run, planned, context, finalPath, gitSha1);
        return;
      }
      await this.resetPartial(finalPath, context);
      throw new RetryableError('The server could not continue the partial file, starting it again');
    }
    if (status !== 200 && status !== 206) {
      response.resume();
      throw this.statusError(status, request, planned.path);
    }
    if (status === 206) {
      const range = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(header(response, 'content-range') ?? '');
      if (!range || Number(range[1]) !== offset) {
        response.destroy();
        await this.resetPartial(finalPath, context);
        throw new RetryableError('The server sent the wrong part of the file');
      }
      if (range[3] !== '*') context.expectedBytes ??= Number(range[3]);
    } else {
      if (offset > 0) {
        const reason = 'The server sent the whole file instead of the missing part; starting the file again';
        this.log(`${planned.path}: ${reason}`);
        request.onEvent?.({ type: 'restart', modelId: request.modelId, path: planned.path, reason });
        await this.resetPartial(finalPath, context);
        offset = 0;
        run.fileBytes.set(planned.path, 0);
      }
      context.expectedBytes ??= parseSize(header(response, 'content-length'));
    }

    const validatorHeader = header(response, 'etag');
    const validator =
      validatorHeader && !validatorHeader.startsWith('W/') ? validatorHeader : header(response, 'last-modified');
    await this.writeState(finalPath, {
      url: url.href,
      ...(validator ? { validator } : {}),
      ...(context.expectedBytes !== undefined ? { expectedBytes: context.expectedBytes } : {}),
      ...(context.expectedSha256 ? { expectedSha256: context.expectedSha256 } : {}),
      bytes: offset,
      updatedAt: new Date().toISOString(),
    });

    const position = await this.receiveBody(run, planned, context, response, partialPath, offset);
    const expected = context.expectedBytes;
    if (expected !== undefined && position < expected) {
      throw new RetryableError('Connection dropped');
    }
    await this.finishFile(run, planned, context, finalPath, gitSha1);
  }

  private async resetPartial(finalPath: string, context: TransferContext): Promise<void> {
    await fsp.rm(`${finalPath}.partial`, { force: true });
    context.hash = createHash('sha256');
    context.hashedBytes = 0;
  }

  /** Streams the body to the partial file with a stall watchdog; returns the partial's new length. */
  private async receiveBody(
    run: DownloadRun,
    planned: PlannedFile,
    context: TransferContext,
    response: http.IncomingMessage,
    partialPath: string,
    offset: number,
  ): Promise<number> {
    const handle = await fsp.open(partialPath, offset > 0 ? 'r+' : 'w');
    let position = offset;
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const armWatchdog = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        response.destroy();
      }, this.stallTimeoutMs);
    };
    const onStop = (): void => {
      response.destroy();
    };
    run.stop.signal.addEventListener('abort', onStop, { once: true });
    armWatchdog();
    try {
      for await (const chunk of response) {
        armWatchdog();
        const buffer = chunk as Buffer;
        if (context.expectedBytes !== undefined && position + buffer.length > context.expectedBytes) {
          throw await this.corrupt(planned, partialPath, context, 'is longer than the hub says');
        }
        try {
          await this.fs.write(handle, buffer, position);
        } catch (error) {
          if (errnoCode(error) === 'ENOSPC') throw await this.diskFullMidway(run, planned, partialPath, position, context);
          throw new EaselError('io', `Easel could not write ${partialPath}: ${(error as Error).message}`, { path: partialPath });
        }
        position += buffer.length;
        context.hash.update(buffer);
        context.hashedBytes = position;
        run.transferred += buffer.length;
        run.fileBytes.set(planned.path, position);
        this.emitProgress(run, { path: planned.path, bytes: position, total: context.expectedBytes }, false);
      }
    } catch (error) {
      if (error instanceof EaselError) throw error;
      if (run.stopReason) throw new EaselError('cancelled', 'Download stopped');
      if (stalled) throw new RetryableError(`No data for ${Math.round(this.stallTimeoutMs / 1000)} s`);
      throw new RetryableError('Connection dropped');
    } finally {
      clearTimeout(timer);
      run.stop.signal.removeEventListener('abort', onStop);
      await handle.close();
    }
    if (run.stopReason) throw new EaselError('cancelled', 'Download stopped');
    if (stalled) throw new RetryableError(`No data for ${Math.round(this.stallTimeoutMs / 1000)} s`);
    return position;
  }

  private async diskFullMidway(
    run: DownloadRun,
    planned: PlannedFile,
    partialPath: string,
    position: number,
    context: TransferContext,
  ): Promise<EaselError> {
    const dir = path.dirname(partialPath);
    const mount = await mountPointOf(dir).catch(() => dir);
    const total = context.expectedBytes;
    const where = total ? formatProgress(position, total) : formatBytes(position);
    const remaining = Math.max(0, run.totalBytes - run.overallBytes());
    return new EaselError(
      'disk_full',
      `The disk ${mount} filled up while downloading ${planned.path} (${where} saved). Free at least ${formatBytes(remaining)} and download again: it resumes where it stopped.`,
      { file: planned.path, bytes: position, path: mount, neededBytes: remaining },
    );
  }

  private async corrupt(planned: PlannedFile, partialPath: string, context: TransferContext, what: string): Promise<EaselError> {
    await fsp.rm(partialPath, { force: true });
    await fsp.rm(`${partialPath}.json`, { force: true });
    context.hash = createHash('sha256');
    context.hashedBytes = 0;
    return new EaselError(
      'checksum_mismatch',
      `The downloaded ${planned.path} ${what}, so it was deleted. Download again; if it happens again the mirror or a proxy is changing the file.`,
      { file: planned.path },
    );
  }

  private async finishFile(
    run: DownloadRun,
    planned: PlannedFile,
    context: TransferContext,
    finalPath: string,
    gitSha1: string | undefined,
  ): Promise<void> {
    const partialPath = `${finalPath}.partial`;
    const size = (await fileSize(partialPath)) ?? 0;
    if (context.expectedBytes !== undefined && size !== context.expectedBytes) {
      throw await this.corrupt(planned, partialPath, context, `has ${size} bytes instead of ${context.expectedBytes}`);
    }
    const sha256 = context.hash.digest('hex');
    context.hash = createHash('sha256');
    context.hashedBytes = -1;
    if (context.expectedSha256 && sha256 !== context.expectedSha256) {
      throw await this.corrupt(planned, partialPath, context, 'does not match its published SHA-256 checksum');
    }
    if (!context.expectedSha256 && gitSha1 && (await gitBlobSha1(partialPath)) !== gitSha1) {
      throw await this.corrupt(planned, partialPath, context, 'does not match its published checksum');
    }
    const handle = await fsp.open(partialPath, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(partialPath, finalPath);
    await fsp.rm(`${partialPath}.json`, { force: true });
    run.fileBytes.set(planned.path, size);
    run.manifest.files[planned.path] = { bytes: size, sha256 };
    run.manifestWrites = run.manifestWrites.then(() => writeManifest(run.request.destDir, run.manifest));
    await run.manifestWrites;
    run.request.onEvent?.({ type: 'file-complete', modelId: run.request.modelId, path: planned.path, bytes: size, sha256 });
    this.emitProgress(run, { path: planned.path, bytes: size, total: size }, true);
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

interface TransferContext {
  hash: Hash;
  /** Bytes of the partial covered by `hash`; -1 once the hash was finalised. */
  hashedBytes: number;
  expectedBytes: number | undefined;
  expectedSha256: string | undefined;
}
