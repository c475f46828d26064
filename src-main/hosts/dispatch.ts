import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { channelSchemas, isChannel, isUploadChannel, uploadChannelSchemas, type ErrorInfo, type Result } from '../../src-preload/api';
import { toErrorInfo } from '../core/errors';
import type { HandlerTable, UploadHandlerTable } from './handlers';

export type Dispatch = (channel: unknown, request: unknown) => Promise<Result<unknown>>;
/** An upload: its request, its body, and the body's size as the transport declared it. */
export type UploadDispatch = (channel: unknown, request: unknown, body: Readable, bodyBytes: number) => Promise<Result<unknown>>;

function invalidRequest(channel: string, error: z.ZodError): ErrorInfo {
  const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const described = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  return { code: 'invalid_request', message: `Invalid request for ${channel}: ${described.join('; ')}`, detail: issues };
}

function unknownChannel(channel: unknown): Result<never> {
  return { ok: false, error: { code: 'unknown_channel', message: `Easel has no channel called ${JSON.stringify(channel)}.` } };
}

/**
 * The boundary: a request reaches the core only when its channel is in the contract and its payload
 * passes that channel's schema. Everything else, and everything the core throws, comes back as a typed
 * error value; nothing crosses as an exception.
 */
export function createDispatcher(handlers: HandlerTable): Dispatch {
  return async (channel, request) => {
    if (!isChannel(channel)) return unknownChannel(channel);
    const parsed = channelSchemas[channel].safeParse(request);
    if (!parsed.success) return { ok: false, error: invalidRequest(channel, parsed.error) };
    try {
      const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}

/** The same boundary for uploads: the request passes its schema and the body is the size the request names. */
export function createUploadDispatcher(handlers: UploadHandlerTable): UploadDispatch {
  return async (channel, request, body, bodyBytes) => {
    if (!isUploadChannel(channel)) return unknownChannel(channel);
    const parsed = uploadChannelSchemas[channel].safeParse(request);
    if (!parsed.success) return { ok: false, error: invalidRequest(channel, parsed.error) };
    if (bodyBytes !== parsed.data.size) {
      return {
        ok: false,
        error: { code: 'invalid_request', message: `The upload carries ${bodyBytes} bytes but its request names ${parsed.data.size}.` },
      };
    }
    try {
      return { ok: true, value: await handlers[channel](parsed.data, body) };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}
