import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { EaselError } from '../errors';
import { formatBytes } from '../format';
import { checkSafetensorsStart } from '../formats/safetensors';

export interface ReceiveOptions {
  /** Where to write the file; it must not exist yet. */
  file: string;
  /** The size the upload announced: more is refused, less is an upload that stopped. */
  size: number;
  signal: AbortSignal;
  onBytes: (received: number) => void;
}

/**
 * Writes an uploaded checkpoint to `file`, checking its first bytes as they arrive, so a pickle renamed
 * `.safetensors` or a header that lies is refused before the rest is sent. A cancel stops reading at once
 * without ending the body, so the host can still answer before it closes the connection. The caller
 * removes the file when this throws.
 */
export async function receiveCheckpoint(body: Readable, options: ReceiveOptions): Promise<void> {
  const name = path.basename(options.file);
  const handle = await fsp.open(options.file, 'wx');
  let received = 0;
  let start = Buffer.alloc(0);
  try {
    await new Promise<void>((resolve, reject) => {
      // The chunk being written: the body can end (or close) before its last write is done.
      let writing: Promise<void> = Promise.resolve();
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        body.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
        options.signal.removeEventListener('abort', onAbort);
        body.pause();
        if (error === undefined) resolve();
        else reject(error instanceof EaselError ? error : stopped(name, received, options.size));
      };
      const onData = (chunk: Buffer) => {
        body.pause();
        writing = take(chunk).then(() => {
          if (!settled) body.resume();
        });
        writing.catch(finish);
      };
      const onEnd = () => void writing.then(() => finish(received < options.size ? stopped(name, received, options.size) : undefined), finish);
      const onClose = () => void writing.then(() => finish(stopped(name, received, options.size)), finish);
      const onAbort = () => finish(new EaselError('cancelled', `The import of ${name} was cancelled; nothing was kept.`));
      body.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    await handle.close();
  }

  async function take(chunk: Buffer): Promise<void> {
    if (received + chunk.length > options.size) {
      throw new EaselError('invalid_request', `${name} is larger than the ${formatBytes(options.size)} its upload announced; nothing was kept.`);
    }
    if (start.length < 8) {
      start = Buffer.concat([start, chunk.subarray(0, 8 - start.length)]);
      if (start.length === 8 || received + chunk.length === options.size) checkSafetensorsStart(options.file, start, options.size);
    }
    await handle.write(chunk);
    received += chunk.length;
    options.onBytes(received);
  }
}

function stopped(name: string, received: number, size: number): EaselError {
  return new EaselError('io', `The upload of ${name} stopped after ${formatBytes(received)} of ${formatBytes(size)}; nothing was kept. Try again.`);
}
