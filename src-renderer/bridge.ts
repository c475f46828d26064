import { createEaselApi, isEventName, type EaselApi, type EventName, type Result, type Transport } from '../src-preload/api';

const TOKEN_KEY = 'easel.token';

/** The token arrives in the address the web host printed; keep it for reloads, then hide it from the URL bar. */
function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.toString());
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** One socket message as `{event, payload}`; anything else (a truncated frame, a stray text) is skipped. */
function parseEvent(data: string): { event: unknown; payload: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { event, payload } = parsed as { event?: unknown; payload?: unknown };
    return { event, payload };
  } catch {
    return null;
  }
}

/** The web host's side of the contract: calls over HTTP, events over one WebSocket that reconnects. */
function createWebTransport(token: string): Transport {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;

  const connect = () => {
    const url = new URL('/api/events', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', token);
    socket = new WebSocket(url);
    socket.onmessage = (message) => {
      const parsed = parseEvent(String(message.data));
      if (!parsed || !isEventName(parsed.event)) return;
      for (const listener of listeners.get(parsed.event) ?? []) listener(parsed.payload);
    };
    socket.onclose = () => {
      socket = null;
      if (listeners.size > 0) window.setTimeout(connect, 1000);
    };
  };

  return {
    async invoke(channel, request) {
      try {
        const response = await fetch(`/api/call/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-easel-token': token },
          body: JSON.stringify(request ?? {}),
        });
        return (await response.json()) as Result<unknown>;
      } catch {
        return {
          ok: false,
          error: { code: 'network', message: 'Lost the connection to Easel. Is the Easel server still running?' },
        };
      }
    },
    /** The file is the body, streamed; the request rides in the address, since the body cannot hold it. */
    async upload(channel, request, file) {
      try {
        const url = new URL(`/api/upload/${channel}`, window.location.href);
        url.searchParams.set('request', JSON.stringify(request));
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', 'x-easel-token': token },
          body: file,
        });
        return (await response.json()) as Result<unknown>;
      } catch {
        return {
          ok: false,
          error: { code: 'network', message: 'Lost the connection to Easel while sending the file. Is the Easel server still running?' },
        };
      }
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      if (!socket) connect();
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(event);
      };
    },
  };
}

/**
 * Everything in the renderer talks to Easel through `window.easel`: the preload's inside Electron, or
 * the same API over the web host's socket in a browser.
 */
const webToken = window.easel === undefined ? takeToken() : null;
window.easel ??= createEaselApi(createWebTransport(webToken ?? ''));
export const easel: EaselApi = window.easel;

/** A browser opened Easel's address without the token the web host printed: nothing can be asked of the core. */
export const tokenMissing = webToken === '';
