import { createHash, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { EaselError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { formatBytes, formatProgress } from '../format';
import { volumeName } from './disk-space';
import { header, parseSize, type HubClient, type HubFileRef } from './hub-client';
import { backoffDelay, RetryableError, type Clock, type RetryPolicy } from './retry';
import { contentProblem, fileSize, hashFilePrefix, SHA1_HEX, SHA256_HEX } from './verify';

/**
 * One file's transfer: streamed into `NAME.partial` beside its final place, resumed with Range +
 * If-Range after a dropped connection, a stall or an app restart (the validator and expected checksum
 * are kept in `NAME.partial.json`), retried with backoff, hashed while it arrives, and renamed into
 * place only once its size and checksum are what the hub published.
 */

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

export function partialPathOf(finalPath: string): string {
  return `${finalPath}.partial`;
}

function statePathOf(finalPath: string): string {
  return `${finalPath}.partial.json`;
}

async function readState(finalPath: string): Promise<PartialState | undefined> {
  try {
    return JSON.parse(await fsp.readFile(statePathOf(finalPath), 'utf8')) as PartialState;
  } catch {
    return undefined;
  }
}

/** Bytes of a partial worth resuming, or undefined when there is none or it belongs to another file version. */
export async function usablePartialBytes(finalPath: string, expectedSha256: string | undefined): Promise<number | undefined> {
  const size = await fileSize(partialPathOf(finalPath));
  if (size === undefined) return undefined;
  const state = await readState(finalPath);
  if (!state) return undefined;
  if (expectedSha256 && state.expectedSha256 && expectedSha256 !== state.expectedSha256) return undefined;
  return size;
}

/** Drops a file's partial and its state; a finished file is not touched. */
export async function removePartial(finalPath: string): Promise<void> {
  await fsp.rm(partialPathOf(finalPath), { force: true });
  await fsp.rm(statePathOf(finalPath), { force: true });
}

/** Writes a chunk completely at `position`. */
export type ChunkWriter = (handle: FileHandle, chunk: Buffer, position: number) => Promise<void>;

export const writeChunk: ChunkWriter = async (handle, chunk, position) => {
  let written = 0;
  while (written < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
    written += bytesWritten;
  }
};

export interface TransferSettings {
  hub: HubClient;
  clock: Clock;
  write: ChunkWriter;
  /** No bytes (or no answer) for this long -> abort and retry. */
  stallTimeoutMs: number;
  retry: RetryPolicy;
  log: (line: string) => void;
}

export interface TransferJob {
  file: HubFileRef;
  /** Where the verified file goes. */
  finalPath: string;
  expectedBytes: number | undefined;
  expectedSha256: string | undefined;
  /** Bytes already counted for this file (a partial found while planning). */
  presentBytes: number;
  /** When no size is published: more bytes than this mean the server is not sending this file. */
  unsizedLimit: number | undefined;
  /** Aborted when the download is cancelled, paused or failed elsewhere. */
  stop: AbortSignal;
  /** The partial now holds `bytes`; `delta` of them came over the network just now. */
  onProgress(bytes: number, total: number | undefined, delta: number): void;
  onRetry(attempt: number, delayMs: number, message: string): void;
  /** The partial was dropped and the file starts again from its first byte. */
  onRestart(reason: string): void;
  /** What the whole download still needs, for the message when the disk fills up. */
  remainingBytes(): number;
}

export interface TransferredFile {
  bytes: number;
  sha256: string;
}

const stopped = (): EaselError => new EaselError('cancelled', 'Download stopped');

/** Fetches one file into place, retrying what is worth retrying; resolves once it is verified and renamed. */
export async function transferFile(settings: TransferSettings, job: TransferJob): Promise<TransferredFile> {
  return new ResumableTransfer(settings, job).run();
}

class ResumableTransfer {
  private hash: Hash = createHash('sha256');
  /** Bytes of the partial covered by `hash`; -1 once the hash was finalised. */
  private hashedBytes = 0;
  private expectedBytes: number | undefined;
  private expectedSha256: string | undefined;
  /** Bytes last reported for this file: more after a failed attempt means it made progress. */
  private reportedBytes: number;
  private readonly partialPath: string;

  constructor(
    private readonly settings: TransferSettings,
    private readonly job: TransferJob,
  ) {
    this.expectedBytes = job.expectedBytes;
    this.expectedSha256 = job.expectedSha256;
    this.reportedBytes = job.presentBytes;
    this.partialPath = partialPathOf(job.finalPath);
  }

  async run(): Promise<TransferredFile> {
    const { job, settings } = this;
    let attempt = 0;
    for (;;) {
      const before = this.reportedBytes;
      try {
        return await this.attempt();
      } catch (error) {
        if (job.stop.aborted) throw error;
        if (!(error instanceof RetryableError)) throw error;
        const after = this.reportedBytes;
        attempt = after > before ? 1 : attempt + 1;
        const total = this.expectedBytes;
        const where = total ? `at ${formatProgress(after, total)}` : `after ${formatBytes(after)}`;
        if (attempt > settings.retry.maxRetries) {
          throw new EaselError(
            'network',
            `${error.message} ${where} of ${job.file.path}, ${settings.retry.maxRetries} times in a row. Check the connection and download again: it resumes where it stopped.`,
            { file: job.file.path, bytes: after, total },
          );
        }
        const delayMs = backoffDelay(settings.retry, attempt);
        const message = `${error.message} ${where} of ${job.file.path} — will resume`;
        settings.log(message);
        job.onRetry(attempt, delayMs, message);
        await settings.clock.sleep(delayMs, job.stop);
      }
    }
  }

  private async attempt(): Promise<TransferredFile> {
    const { job } = this;
    await fsp.mkdir(path.dirname(job.finalPath), { recursive: true });

    const state = await readState(job.finalPath);
    let offset = (await usablePartialBytes(job.finalPath, this.expectedSha256)) ?? 0;
    if (offset === 0) await fsp.rm(this.partialPath, { force: true });
    if (offset !== this.hashedBytes) {
      // The hash must cover exactly the bytes on disk: recompute it over the partial.
      this.hash = createHash('sha256');
      await hashFilePrefix(this.partialPath, offset, this.hash);
      this.hashedBytes = offset;
    }

    const headers: Record<string, string> = {};
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (state?.validator) headers['if-range'] = state.validator;
    }
    const { response, linkedSize, linkedEtag, hubEtag } = await this.settings.hub.request(job.file, 'GET', headers, job.stop);
    const status = response.statusCode ?? 0;

    if (linkedSize !== undefined) this.expectedBytes ??= linkedSize;
    if (linkedEtag && SHA256_HEX.test(linkedEtag)) {
      if (this.expectedSha256 && this.expectedSha256 !== linkedEtag) {
        response.destroy();
        throw new EaselError(
          'checksum_mismatch',
          `${job.file.path} changed on the hub while it was downloading. Download again to fetch the new version.`,
          { file: job.file.path, expected: this.expectedSha256, actual: linkedEtag },
        );
      }
      this.expectedSha256 = linkedEtag;
    }
    const gitSha1 = linkedEtag === undefined && hubEtag && SHA1_HEX.test(hubEtag) ? hubEtag : undefined;

    if (status === 416) {
      response.resume();
      const total = parseSize(/\*\/(\d+)/.exec(header(response, 'content-range') ?? '')?.[1]);
      if (offset > 0 && total === offset && (this.expectedBytes === undefined || this.expectedBytes === offset)) {
        this.expectedBytes = offset;
        return this.finish(gitSha1);
      }
      await this.resetPartial();
      throw new RetryableError('The server could not continue the partial file, starting it again');
    }
    if (status !== 200 && status !== 206) {
      response.resume();
      throw this.settings.hub.statusError(status, job.file);
    }
    let bodyBytes: number | undefined;
    if (status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(response, 'content-range') ?? '');
      if (!range || Number(range[1]) !== offset || Number(range[2]) < offset) {
        response.destroy();
        await this.resetPartial();
        throw new RetryableError('The server sent the wrong part of the file');
      }
      const rangeTotal = range[3] === '*' ? undefined : Number(range[3]);
      if (rangeTotal !== undefined && this.expectedBytes !== undefined && rangeTotal !== this.expectedBytes) {
        response.destroy();
        throw await this.corrupt(`is ${rangeTotal} bytes long according to the download server, but ${this.expectedBytes} according to the hub`);
      }
      if (rangeTotal !== undefined) this.expectedBytes ??= rangeTotal;
      bodyBytes = Number(range[2]) + 1 - offset;
    } else {
      if (offset > 0) {
        const reason = 'The server sent the whole file instead of the missing part; starting the file again';
        this.settings.log(`${job.file.path}: ${reason}`);
        job.onRestart(reason);
        this.reportedBytes = 0;
        await this.resetPartial();
        offset = 0;
      }
      bodyBytes = parseSize(header(response, 'content-length'));
      this.expectedBytes ??= bodyBytes;
    }
    if (bodyBytes !== undefined && this.expectedBytes !== undefined && offset + bodyBytes > this.expectedBytes) {
      // The server announces more than the file holds: nothing it sends can be right.
      response.destroy();
      throw await this.corrupt('is longer than the hub says');
    }

    const validatorHeader = header(response, 'etag');
    const validator =
      validatorHeader && !validatorHeader.startsWith('W/') ? validatorHeader : header(response, 'last-modified');
    await writeFileAtomic(
      statePathOf(job.finalPath),
      JSON.stringify({
        url: this.settings.hub.fileUrl(job.file).href,
        ...(validator ? { validator } : {}),
        ...(this.expectedBytes !== undefined ? { expectedBytes: this.expectedBytes } : {}),
        ...(this.expectedSha256 ? { expectedSha256: this.expectedSha256 } : {}),
        bytes: offset,
        updatedAt: new Date().toISOString(),
      } satisfies PartialState),
    );

    const position = await this.receiveBody(response, offset);
    const expected = this.expectedBytes;
    if (expected !== undefined && position < expected) {
      throw new RetryableError('Connection dropped');
    }
    return this.finish(gitSha1);
  }

  private async resetPartial(): Promise<void> {
    await fsp.rm(this.partialPath, { force: true });
    this.hash = createHash('sha256');
    this.hashedBytes = 0;
  }

  /** Streams the body to the partial file with a stall watchdog; returns the partial's new length. */
  private async receiveBody(response: http.IncomingMessage, offset: number): Promise<number> {
    const { job, settings } = this;
    const handle = await fsp.open(this.partialPath, offset > 0 ? 'r+' : 'w');
    let position = offset;
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const armWatchdog = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        response.destroy();
      }, settings.stallTimeoutMs);
    };
    const onStop = (): void => {
      response.destroy();
    };
    job.stop.addEventListener('abort', onStop, { once: true });
    armWatchdog();
    const stallMessage = (): string => `No data for ${Math.round(settings.stallTimeoutMs / 1000)} s`;
    try {
      for await (const chunk of response) {
        armWatchdog();
        const buffer = chunk as Buffer;
        if (this.expectedBytes !== undefined && position + buffer.length > this.expectedBytes) {
          throw await this.corrupt('is longer than the hub says');
        }
        const limit = job.unsizedLimit;
        if (this.expectedBytes === undefined && limit !== undefined && position + buffer.length > limit) {
          throw await this.corrupt(`has no published size and grew past ${formatBytes(limit)}, far beyond the catalog's estimate`);
        }
        try {
          await settings.write(handle, buffer, position);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw await this.diskFullMidway(position);
          throw new EaselError('io', `Easel could not write ${this.partialPath}: ${(error as Error).message}`, {
            path: this.partialPath,
          });
        }
        position += buffer.length;
        this.hash.update(buffer);
        this.hashedBytes = position;
        this.reportedBytes = position;
        job.onProgress(position, this.expectedBytes, buffer.length);
      }
    } catch (error) {
      if (error instanceof EaselError) throw error;
      if (job.stop.aborted) throw stopped();
      if (stalled) throw new RetryableError(stallMessage());
      throw new RetryableError('Connection dropped');
    } finally {
      clearTimeout(timer);
      job.stop.removeEventListener('abort', onStop);
      await handle.close();
    }
    if (job.stop.aborted) throw stopped();
    if (stalled) throw new RetryableError(stallMessage());
    return position;
  }

  private async diskFullMidway(position: number): Promise<EaselError> {
    const { job } = this;
    const mount = await volumeName(path.dirname(this.partialPath));
    const total = this.expectedBytes;
    const where = total ? formatProgress(position, total) : formatBytes(position);
    const remaining = Math.max(0, job.remainingBytes());
    return new EaselError(
      'disk_full',
      `The disk ${mount} filled up while downloading ${job.file.path} (${where} saved). Free at least ${formatBytes(remaining)} and download again: it resumes where it stopped.`,
      { file: job.file.path, bytes: position, path: mount, neededBytes: remaining },
    );
  }

  /** Deletes the partial (its bytes cannot be trusted) and says why, in words that follow the file's name. */
  private async corrupt(what: string): Promise<EaselError> {
    await removePartial(this.job.finalPath);
    this.hash = createHash('sha256');
    this.hashedBytes = 0;
    return new EaselError(
      'checksum_mismatch',
      `The downloaded ${this.job.file.path} ${what}, so it was deleted. Download again; if it happens again the mirror or a proxy is changing the file.`,
      { file: this.job.file.path },
    );
  }

  /** Verifies the partial and renames it into place. */
  private async finish(gitSha1: string | undefined): Promise<TransferredFile> {
    const size = (await fileSize(this.partialPath)) ?? 0;
    const sha256 = this.hash.digest('hex');
    this.hash = createHash('sha256');
    this.hashedBytes = -1;
    const problem = await contentProblem(this.partialPath, size, sha256, {
      bytes: this.expectedBytes,
      sha256: this.expectedSha256,
      gitSha1,
    });
    if (problem) throw await this.corrupt(problem);
    const handle = await fsp.open(this.partialPath, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(this.partialPath, this.job.finalPath);
    await fsp.rm(statePathOf(this.job.finalPath), { force: true });
    return { bytes: size, sha256 };
  }
}
