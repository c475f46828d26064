import type http from 'node:http';
import { MAX_ADAPTER_UPLOAD_CHARS, type ErrorInfo, type Result } from '../../../src-preload/api';
import type { Dispatch, UploadDispatch } from '../dispatch';

/** Only these channels carry images (base64, up to 60 MB in the contract); every other call is small. */
const LARGE_BODY_CHANNELS = new Set(['jobs.enqueue', 'gallery.readParameters']);
export const MAX_LARGE_BODY_BYTES = 64 * 1024 * 1024;
export const MAX_SMALL_BODY_BYTES = 1024 * 1024;
/** A LoRA or embedding upload: the file's limit in base64, and room for the JSON around it. */
export const MAX_ADAPTER_BODY_BYTES = MAX_ADAPTER_UPLOAD_CHARS + 1024;

export function bodyLimitFor(channel: string): number {
  if (channel === 'adapters.import') return MAX_ADAPTER_BODY_BYTES;
  return LARGE_BODY_CHANNELS.has(channel) ? MAX_LARGE_BODY_BYTES : MAX_SMALL_BODY_BYTES;
}

export function sendResult(res: http.ServerResponse, status: number, body: Result<unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function sendError(res: http.ServerResponse, status: number, error: ErrorInfo): void {
  sendResult(res, status, { ok: false, error });
}

function statusFor(error: ErrorInfo): number {
  if (error.code === 'invalid_request') return 400;
  return error.code === 'unknown_channel' || error.code === 'not_found' ? 404 : 200;
}

class BodyTooLarge extends Error {}

/**
 * Reads the body into one buffer sized from Content-Length when it is declared, counting bytes as
 * they arrive: a declared or actual size past `limit` stops the read before anything more is kept.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** One contract call: `POST /api/call/<channel>` with a JSON body, answered with the Result as JSON. */
export async function handleCall(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  channel: string,
  dispatch: Dispatch,
): Promise<void> {
  if (req.method !== 'POST') {
    sendError(res, 405, { code: 'invalid_request', message: 'Calls are POST requests with a JSON body.' });
    return;
  }
  const limit = bodyLimitFor(channel);
  let payload: unknown;
  try {
    const body = await readBody(req, limit);
    payload = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
  } catch (error) {
    const tooLarge = error instanceof BodyTooLarge;
    if (tooLarge) {
      // The rest of the body is not read: the connection closes once the 413 is out.
      res.setHeader('connection', 'close');
      res.on('finish', () => req.destroy());
    }
    sendError(res, tooLarge ? 413 : 400, {
      code: 'invalid_request',
      message: tooLarge
        ? `The request is larger than ${Math.round(limit / (1024 * 1024))} MB, the most ${channel} accepts.`
        : 'The request body is not valid JSON.',
    });
    return;
  }
  const result = await dispatch(channel, payload);
  sendResult(res, result.ok ? 200 : statusFor(result.error), result);
}

/**
 * One upload: `POST /api/upload/<channel>?request=<JSON>` with the file as the body, whose Content-Length
 * must be declared (the dispatcher checks it against the request). The body streams to the core; when the
 * core answers before reading all of it (a refused file, a cancel), the connection closes after the answer.
 */
export async function handleUpload(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  channel: string,
  requestJson: string | null,
  upload: UploadDispatch,
): Promise<void> {
  if (req.method !== 'POST') {
    sendError(res, 405, { code: 'invalid_request', message: 'Uploads are POST requests with the file as the body.' });
    return;
  }
  const declared = Number(req.headers['content-length']);
  if (req.headers['content-length'] === undefined || !Number.isSafeInteger(declared)) {
    res.setHeader('connection', 'close');
    sendError(res, 411, { code: 'invalid_request', message: 'An upload must say its size (Content-Length).' });
    return;
  }
  let request: unknown;
  try {
    request = JSON.parse(requestJson ?? '');
  } catch {
    res.setHeader('connection', 'close');
    sendError(res, 400, { code: 'invalid_request', message: 'An upload names its request as JSON in ?request=.' });
    return;
  }
  const result = await upload(channel, request, req, declared);
  if (!req.readableEnded) {
    res.setHeader('connection', 'close');
    res.on('finish', () => req.destroy());
  }
  sendResult(res, result.ok ? 200 : statusFor(result.error), result);
}
