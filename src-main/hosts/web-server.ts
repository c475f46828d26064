import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ErrorInfo, Result } from '../../src-preload/api';
import type { EventBus } from '../core/events';
import { contentSecurityPolicy } from './content-security-policy';
import type { Dispatch } from './dispatch';

export interface WebHostOptions {
  dispatch: Dispatch;
  events: EventBus;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** 127.0.0.1 unless the person asked for another address. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Random unless given (tests). */
  token?: string;
  log?: (line: string) => void;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const TOKEN_COOKIE = 'easel_token';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function isLoopbackAddress(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/**
 * Serves the built renderer and the contract over HTTP + WebSocket. Every request must carry the
 * token (query, header or the cookie set when the page was opened with it); the Host and Origin must
 * name this server, so a web page elsewhere cannot reach it through DNS rebinding.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const bindHost = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const sockets = new Set<WebSocket>();
  let allowedHosts = new Set<string>();
  let listeningPort = 0;

  const tokenMatches = (candidate: string | undefined | null): boolean => {
    if (!candidate) return false;
    const bytes = Buffer.from(candidate);
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };

  const requestToken = (req: http.IncomingMessage, url: URL): string | undefined => {
    const header = req.headers['x-easel-token'];
    if (typeof header === 'string') return header;
    const fromQuery = url.searchParams.get('token');
    if (fromQuery) return fromQuery;
    const cookies = req.headers.cookie?.split(';').map((part) => part.trim().split('=')) ?? [];
    return cookies.find(([name]) => name === TOKEN_COOKIE)?.[1];
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

  /** 403 unless Host (and Origin, when sent) name this server. */
  const originAllowed = (req: http.IncomingMessage): boolean => {
    try {
      if (!req.headers.host || !hostAllowed(req.headers.host)) return false;
      const origin = req.headers.origin;
      if (origin === undefined) return true;
      const parsed = new URL(origin);
      return parsed.protocol === 'http:' && hostAllowed(parsed.host);
    } catch {
      return false;
    }
  };

  const sendResult = (res: http.ServerResponse, status: number, body: Result<unknown>): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const sendError = (res: http.ServerResponse, status: number, error: ErrorInfo): void =>
    sendResult(res, status, { ok: false, error });

  const statusFor = (error: ErrorInfo): number =>
    error.code === 'invalid_request' ? 400 : error.code === 'unknown_channel' || error.code === 'not_found' ? 404 : 200;

  const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          // Stop keeping the body, but leave the socket open until the 413 has been sent.
          req.off('data', onData);
          reject(new Error('too large'));
          return;
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const handleCall = async (req: http.IncomingMessage, res: http.ServerResponse, channel: string): Promise<void> => {
    if (req.method !== 'POST') {
      sendError(res, 405, { code: 'invalid_request', message: 'Calls are POST requests with a JSON body.' });
      return;
    }
    let payload: unknown;
    try {
      const body = await readBody(req);
      payload = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
    } catch (error) {
      const tooLarge = (error as Error).message === 'too large';
      if (tooLarge) {
        res.setHeader('connection', 'close');
        res.on('finish', () => req.destroy());
      }
      sendError(res, tooLarge ? 413 : 400, {
        code: 'invalid_request',
        message: tooLarge ? 'The request is larger than 64 MB.' : 'The request body is not valid JSON.',
      });
      return;
    }
    const result = await options.dispatch(channel, payload);
    sendResult(res, result.ok ? 200 : statusFor(result.error), result);
  };

  const serveStatic = async (res: http.ServerResponse, pathname: string, setCookie: boolean): Promise<void> => {
    const root = path.resolve(options.staticDir);
    const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = path.resolve(root, relative);
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(404).end('Not found');
      return;
    }
    let target = file;
    try {
      const stat = await fs.stat(target);
      if (!stat.isFile()) throw new Error('not a file');
    } catch {
      // Client-side routes fall back to the app's page; missing assets are 404.
      if (path.extname(relative)) {
        res.writeHead(404).end('Not found');
        return;
      }
      target = path.join(root, 'index.html');
    }
    const headers: http.OutgoingHttpHeaders = {
      'content-type': CONTENT_TYPES[path.extname(target)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    };
    if (target.endsWith('.html')) {
      headers['content-security-policy'] = contentSecurityPolicy('web');
      headers['x-frame-options'] = 'DENY';
    }
    if (setCookie) headers['set-cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    // pipeline() closes the file when the client goes away and turns a read error into a rejection.
    await pipeline(createReadStream(target), res);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (!originAllowed(req)) {
      sendError(res, 403, { code: 'forbidden', message: 'This Easel server only answers pages it served itself.' });
      return;
    }
    const presented = requestToken(req, url);
    if (!tokenMatches(presented)) {
      sendError(res, 401, {
        code: 'unauthorized',
        message: 'Open Easel with the full address it printed, including its ?token=… part.',
      });
      return;
    }
    const call = /^\/api\/call\/([\w.-]+)$/.exec(url.pathname);
    const work = call
      ? handleCall(req, res, call[1] as string)
      : serveStatic(res, url.pathname, url.searchParams.get('token') === presented);
    work.catch((error: unknown) => {
      options.log?.(`web host: ${(error as Error).message}`);
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: 'The server failed to answer.' });
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!originAllowed(req)) return reject(403, 'Forbidden');
    if (!tokenMatches(requestToken(req, url))) return reject(401, 'Unauthorized');
    if (url.pathname !== '/api/events') return reject(404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });

  const unsubscribe = options.events.subscribe((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const ws of sockets) ws.send(message);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  listeningPort = port;
  const urlHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  allowedHosts = new Set([`${urlHost}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
