import path from 'node:path';
import { EaselError } from '../errors';
import type { HubClient, HubFileRef, RemoteFileInfo } from './hub-client';
import type { ModelManifest } from './manifest';
import { usablePartialBytes } from './resumable-transfer';
import { backoffDelay, RetryableError, UNREACHABLE_RETRIES, UnreachableError, type Clock, type RetryPolicy } from './retry';
import { fileSize } from './verify';

/** Planning a model's download: which files are done, which to fetch, how many bytes that is. */

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

/** What planning needs to know about a download. */
export interface PlanRequest {
  modelId: string;
  displayName?: string;
  repo: string;
  revision: string;
  files: DownloadFileSpec[];
  /** The model folder; created when missing. */
  destDir: string;
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

export interface PlannerSettings {
  hub: HubClient;
  clock: Clock;
  retry: RetryPolicy;
  /** Hub questions asked at once. */
  concurrency: number;
}

/** Refuses repository paths that would land outside the model folder. */
export function localPathFor(destDir: string, file: string): string {
  const target = path.resolve(destDir, ...file.split('/'));
  const root = path.resolve(destDir);
  if (file.includes('\\') || !target.startsWith(root + path.sep)) {
    throw new EaselError('invalid_request', `The file name ${JSON.stringify(file)} is not a safe path inside a model folder.`);
  }
  return target;
}

export function hubFile(request: PlanRequest, file: string): HubFileRef {
  return { repo: request.repo, revision: request.revision, path: file, modelName: request.displayName ?? request.modelId };
}

/** A file the manifest records as fetched and checked, still on disk at its recorded size, as the catalog wants it. */
async function recordedAndPresent(request: PlanRequest, spec: DownloadFileSpec, manifest: ModelManifest): Promise<boolean> {
  const recorded = manifest.files[spec.path];
  if (recorded === undefined) return false;
  return (
    (await fileSize(localPathFor(request.destDir, spec.path))) === recorded.bytes &&
    (spec.bytes === undefined || spec.bytes === recorded.bytes) &&
    (spec.sha256 === undefined || spec.sha256 === recorded.sha256)
  );
}

/**
 * What a download would fetch: files the manifest records and the disk still holds are done; for the
 * rest, exact sizes and checksums from the hub (asked a few at a time) and the partial bytes worth resuming.
 * Files no longer valid are dropped from `manifest`.
 */
export async function planDownload(
  settings: PlannerSettings,
  request: PlanRequest,
  manifest: ModelManifest,
  signal?: AbortSignal,
): Promise<DownloadPlan> {
  const remote = new Map<string, RemoteFileInfo>();
  const needRemote: DownloadFileSpec[] = [];
  for (const spec of request.files) {
    if (!(await recordedAndPresent(request, spec, manifest))) {
      delete manifest.files[spec.path];
      needRemote.push(spec);
    }
  }
  const queue = [...needRemote];
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let spec = queue.shift(); spec && !failure; spec = queue.shift()) {
      try {
        remote.set(spec.path, await headWithRetry(settings, request, spec, signal));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  // Every worker finishes before a failure is reported, so no request outlives the call.
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, needRemote.length) }, worker));
  if (failure) throw failure.error;
  return planFiles(request, manifest, remote);
}

/**
 * What a download would fetch by the catalog's sizes and what is on disk, without asking the hub: the
 * question asked before a download starts must not wait on the network, and works offline. The exact
 * sizes and checksums come from the hub when the download runs.
 */
export function estimateDownload(request: PlanRequest, manifest: ModelManifest): Promise<DownloadPlan> {
  return planFiles(request, manifest, new Map());
}

/** The plan from what the manifest records, the hub's answers (`remote`), the catalog and the partial files. */
async function planFiles(request: PlanRequest, manifest: ModelManifest, remote: Map<string, RemoteFileInfo>): Promise<DownloadPlan> {
  const files: PlannedFile[] = [];
  for (const spec of request.files) {
    const recorded = manifest.files[spec.path];
    const finalPath = localPathFor(request.destDir, spec.path);
    if (recorded && (await recordedAndPresent(request, spec, manifest))) {
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
    const partialBytes = (await usablePartialBytes(finalPath, sha256)) ?? 0;
    files.push({ path: spec.path, bytes, sha256, presentBytes: partialBytes, complete: false });
  }
  const sizeOf = (file: PlannedFile): number =>
    file.bytes ?? request.files.find((f) => f.path === file.path)?.approxBytes ?? file.presentBytes;
  const totalBytes = files.reduce((sum, f) => sum + sizeOf(f), 0);
  const remainingBytes = files.reduce((sum, f) => sum + Math.max(0, sizeOf(f) - f.presentBytes), 0);
  return { modelId: request.modelId, files, totalBytes, remainingBytes };
}

function headWithRetry(
  settings: PlannerSettings,
  request: PlanRequest,
  spec: DownloadFileSpec,
  signal?: AbortSignal,
): Promise<RemoteFileInfo> {
  return askHubWithRetry(settings, () => settings.hub.head(hubFile(request, spec.path), signal), { file: spec.path }, signal);
}

/**
 * A question to the hub, asked again after a dropped connection, a 5xx or a 429 with backoff; an unreachable
 * hub is retried once, so being offline is said within seconds. `detail` goes into the final network error.
 */
export async function askHubWithRetry<T>(
  settings: Pick<PlannerSettings, 'clock' | 'retry'>,
  ask: () => Promise<T>,
  detail: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<T> {
  const { retry } = settings;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await ask();
    } catch (error) {
      if (!(error instanceof RetryableError) || signal?.aborted) throw error;
      const unreachable = error instanceof UnreachableError;
      if (attempt >= (unreachable ? Math.min(UNREACHABLE_RETRIES, retry.maxRetries) : retry.maxRetries)) {
        const advice = unreachable
          ? 'Easel cannot reach the model hub: check the internet connection and the hub address in Settings, then try again.'
          : 'Check the connection and try again.';
        throw new EaselError('network', `${error.message}. ${advice}`, { ...detail, unreachable });
      }
      await settings.clock.sleep(backoffDelay(retry, attempt + 1), signal);
    }
  }
}
