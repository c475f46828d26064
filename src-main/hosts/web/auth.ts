import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isIP } from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopbackAddress(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/**
 * The request-target as a URL, or null when it is not one (`http://[`, `//[`, a port past 65535):
 * such a request gets a 400, never an exception out of the request handler.
 */
export function parseRequestTarget(target: string | undefined): URL | null {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return null;
  try {
    return new URL(target, 'http://easel.invalid');
  } catch {
    return null;
  }
}

export interface WebAuth {
  /** Called once the server listens: only then are its own host names known. */
  listening(port: number): void;
  /** True when Host (and Origin, when sent) name this server. */
  originAllowed(req: http.IncomingMessage): boolean;
  /** True when the request carries the token in the header or the query (the socket's only way). */
  tokenPresented(req: http.IncomingMessage, url: URL): boolean;
}

/**
 * Who may talk to the web host. The token travels in the `x-easel-token` header (calls) or the query
 * (the WebSocket, which cannot set headers), never in a cookie: cookies ignore ports, so a cookie for
 * 127.0.0.1 would also be sent to every other local server the browser visits. The page keeps the token
 * in sessionStorage instead (src-renderer/bridge.ts).
 */
export function createWebAuth({ bindHost, token }: { bindHost: string; token: string }): WebAuth {
  const tokenBytes = Buffer.from(token);
  let allowedHosts = new Set<string>();
  let listeningPort = 0;

  const tokenMatches = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false;
    const bytes = Buffer.from(candidate);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };

  /**
   * DNS rebinding reaches us under a foreign host name, so only our own names pass; when the person
   * chose to listen beyond loopback, a bare IP address with our port passes too (no DNS involved).
   */
  const hostAllowed = (host: string): boolean => {
    const lower = host.toLowerCase();
    if (allowedHosts.has(lower)) return true;
    if (isLoopbackAddress(bindHost)) return false;
    const parsed = new URL(`http://${lower}`);
    return parsed.port === String(listeningPort) && isIP(parsed.hostname.replace(/^\[|\]$/g, '')) !== 0;
  };

  return {
    listening(port) {
      listeningPort = port;
      const urlHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
      allowedHosts = new Set([`${urlHost}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
    },
    originAllowed(req) {
      try {
        if (!req.headers.host || !hostAllowed(req.headers.host)) return false;
        const origin = req.headers.origin;
        if (origin === undefined) return true;
        const parsed = new URL(origin);
        return parsed.protocol === 'http:' && hostAllowed(parsed.host);
      } catch {
        return false;
      }
    },
    tokenPresented(req, url) {
      const header = req.headers['x-easel-token'];
      return tokenMatches(typeof header === 'string' ? header : url.searchParams.get('token'));
    },
  };
}
