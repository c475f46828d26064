import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventBus } from '../core/events';
import type { Dispatch, UploadDispatch } from './dispatch';
import { createWebAuth, parseRequestTarget } from './web/auth';
import { handleCall, handleUpload, sendError } from './web/calls';
import { createEventSocket } from './web/socket';
import { serveStaticFile } from './web/static-files';

export { isLoopbackAddress } from './web/auth';

export interface WebHostOptions {
  dispatch: Dispatch;
  /** Uploads: `POST /api/upload/<channel>?request=<JSON>` with the file as the body. */
  upload: UploadDispatch;
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

/**
 * Serves the built renderer and the contract over HTTP + WebSocket. Host and Origin must name this
 * server (so a web page elsewhere cannot reach it through DNS rebinding); calls and the event socket
 * must also carry the token. The renderer's files hold nothing secret and load without it.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const bindHost = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? (() => undefined);
  const auth = createWebAuth({ bindHost, token });
  const eventSocket = createEventSocket(options.events, auth, log);

  const server = http.createServer((req, res) => {
    const url = parseRequestTarget(req.url);
    if (!url) {
      sendError(res, 400, { code: 'invalid_request', message: 'The request-target is not a path on this server.' });
      return;
    }
    if (!auth.originAllowed(req)) {
      sendError(res, 403, { code: 'forbidden', message: 'This Easel server only answers pages it served itself.' });
      return;
    }
    const isApi = url.pathname.startsWith('/api/');
    if (isApi && !auth.tokenPresented(req, url)) {
      sendError(res, 401, {
        code: 'unauthorized',
        message: 'Open Easel with the full address it printed, including its ?token=… part.',
      });
      return;
    }
    const channel = /^\/api\/call\/([\w.-]+)$/.exec(url.pathname)?.[1];
    const uploadChannel = /^\/api\/upload\/([\w.-]+)$/.exec(url.pathname)?.[1];
    if (isApi && !channel && !uploadChannel) {
      sendError(res, 404, { code: 'not_found', message: 'This server has no such address.' });
      return;
    }
    const work = channel
      ? handleCall(req, res, channel, options.dispatch)
      : uploadChannel
        ? handleUpload(req, res, uploadChannel, url.searchParams.get('request'), options.upload)
        : serveStaticFile(res, options.staticDir, url.pathname);
    work.catch((error: unknown) => {
      log(`web host: ${(error as Error).message}`);
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: 'The server failed to answer.' });
      else res.destroy();
    });
  });
  // An upload of a checkpoint of several GB may take longer than Node's five minutes for a whole request;
  // headers must still arrive within a minute, and nothing unauthenticated reaches a body read.
  server.requestTimeout = 0;
  // A client that sends garbage or vanishes mid-request ends its own connection, nothing else.
  server.on('clientError', (error, socket) => {
    log(`web host: ${error.message}`);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('upgrade', (req, socket, head) => eventSocket.handleUpgrade(req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  auth.listening(port);
  const urlHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      eventSocket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
