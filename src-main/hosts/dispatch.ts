import { channelSchemas, isChannel, type Result } from '../../src-preload/api';
import { toErrorInfo } from '../core/errors';
import type { HandlerTable } from './handlers';

export type Dispatch = (channel: unknown, request: unknown) => Promise<Result<unknown>>;

/**
 * The boundary: a request reaches the core only when its channel is in the contract and its payload
 * passes that channel's schema. Everything else, and everything the core throws, comes back as a typed
 * error value; nothing crosses as an exception.
 */
export function createDispatcher(handlers: HandlerTable): Dispatch {
  return async (channel, request) => {
    if (!isChannel(channel)) {
      return {
        ok: false,
        error: { code: 'unknown_channel', message: `Easel has no channel called ${JSON.stringify(channel)}.` },
      };
    }
    const parsed = channelSchemas[channel].safeParse(request);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
      const described = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
      return {
        ok: false,
        error: { code: 'invalid_request', message: `Invalid request for ${channel}: ${described.join('; ')}`, detail: issues },
      };
    }
    try {
      const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}
