import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * Real HTTP(S) servers on 127.0.0.1 that behave like the Hugging Face hub and its CDN:
 * `/{repo}/resolve/{rev}/{path}` answers LFS files with a 302 to the CDN carrying X-Linked-Size and
 * X-Linked-Etag (the quoted SHA-256), small files directly with their git blob SHA-1 as ETag. The
 * CDN honours Range + If-Range. Misbehaviours are switched on per test.
 */

export const TLS_CERT = readFileSync(path.join(__dirname, 'fixtures/localhost-cert.pem'));
const TLS_KEY = readFileSync(path.join(__dirname, 'fixtures/localhost-key.pem'));

export interface HubFile {
  path: string;
  content: Buffer;
  lfs: boolean;
}

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface Misbehaviour {
  /** Destroy the socket after this many body bytes, for the next `cutTimes` CDN responses. */
  cutAfterBytes?: number;
  cutTimes?: number;
  /** Answer every ranged request with the whole file (200). */
  ignoreRange?: boolean;
  /** Send this many bytes then go silent, for the next `stallTimes` CDN responses. */
  stallAfterBytes?: number;
  stallTimes?: number;
  /** Serve these files with one byte flipped. */
  corruptPaths?: string[];
  /** Hub answers 503 this many times first. */
  failTimes?: number;
  /** Hub requires `Authorization: Bearer <token>`. */
  gatedToken?: string;
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function payload(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

export class FakeHub {
  readonly repo: string;
  readonly revision: string;
  private readonly secure: boolean;
  readonly requests: RecordedRequest[] = [];
  misbehaviour: Misbehaviour = {};
  private readonly files = new Map<string, HubFile>();
  private readonly bySha = new Map<string, HubFile>();
  private hubServer!: http.Server;
  private cdnServer!: http.Server;
  private readonly sockets = new Set<net.Socket>();
  hubUrl = '';
  cdnUrl = '';

  constructor(files: HubFile[], options: { repo?: string; revision?: string; secure?: boolean } = {}) {
    this.repo = options.repo ?? 'acme/tiny-model';
    this.revision = options.revision ?? 'c0ffee0000000000000000000000000000000000';
    this.secure = options.secure ?? false;
    for (const file of files) {
      this.files.set(file.path, file);
      this.bySha.set(sha256(file.content), file);
    }
  }

  specs(): Array<{ path: string }> {
    return [...this.files.keys()].map((p) => ({ path: p }));
  }

  private create(handler: http.RequestListener): http.Server {
    const server = this.secure ? https.createServer({ cert: TLS_CERT, key: TLS_KEY }, handler) : http.createServer(handler);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  async start(): Promise<this> {
    this.hubServer = this.create((req, res) => this.handleHub(req, res));
    this.cdnServer = this.create((req, res) => this.handleCdn(req, res));
    const scheme = this.secure ? 'https' : 'http';
    for (const [server, key] of [
      [this.hubServer, 'hubUrl'],
      [this.cdnServer, 'cdnUrl'],
    ] as const) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this[key] = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([this.hubServer, this.cdnServer].map((s) => new Promise((resolve) => s.close(resolve))));
  }

  cdnRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
  }

  private record(server: 'hub' | 'cdn', req: http.IncomingMessage): void {
    this.requests.push({ server, method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  }

  private handleHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('hub', req);
    const prefix = `/${this.repo}/resolve/${this.revision}/`;
    const url = new URL(req.url ?? '/', 'http://x');
    if (this.misbehaviour.failTimes) {
      this.misbehaviour.failTimes -= 1;
      res.writeHead(503).end('busy');
      return;
    }
    if (this.misbehaviour.gatedToken && req.headers.authorization !== `Bearer ${this.misbehaviour.gatedToken}`) {
      res.writeHead(401, { 'x-error-code': 'GatedRepo' }).end('gated');
      return;
    }
    const file = url.pathname.startsWith(prefix) ? this.files.get(decodeURIComponent(url.pathname.slice(prefix.length))) : undefined;
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    if (file.lfs) {
      const sha = sha256(file.content);
      res.writeHead(302, {
        location: `${this.cdnUrl}/blobs/${sha}?signature=${randomBytes(4).toString('hex')}`,
        'x-linked-size': String(file.content.length),
        'x-linked-etag': `"${sha}"`,
        etag: `"${sha}"`,
        'x-repo-commit': this.revision,
      });
      res.end();
      return;
    }
    this.serveBytes(req, res, file, `"${gitBlobSha1(file.content)}"`, false);
  }

  private handleCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('cdn', req);
    const url = new URL(req.url ?? '/', 'http://x');
    const file = this.bySha.get(url.pathname.replace('/blobs/', ''));
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    this.serveBytes(req, res, file, `"cdn-${sha256(file.content).slice(0, 16)}"`, true);
  }

  private serveBytes(req: http.IncomingMessage, res: http.ServerResponse, file: HubFile, etag: string, misbehave: boolean): void {
    let content = file.content;
    if (misbehave && this.misbehaviour.corruptPaths?.includes(file.path)) {
      content = Buffer.from(content);
      const middle = Math.floor(content.length / 2);
      content[middle] = (content[middle] ?? 0) ^ 0xff;
    }
    const size = content.length;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    const honourRange = range && !(misbehave && this.misbehaviour.ignoreRange) && (!ifRange || ifRange === etag);
    let start = 0;
    const headers: http.OutgoingHttpHeaders = { etag, 'accept-ranges': 'bytes' };
    if (honourRange) {
      start = Number(range[1]);
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-length': size - start, 'content-range': `bytes ${start}-${size - 1}/${size}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': size });
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = content.subarray(start);
    const m = this.misbehaviour;
    if (misbehave && m.cutAfterBytes !== undefined && (m.cutTimes ?? 0) > 0) {
      m.cutTimes = (m.cutTimes ?? 0) - 1;
      res.write(body.subarray(0, m.cutAfterBytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (misbehave && m.stallAfterBytes !== undefined && (m.stallTimes ?? 0) > 0) {
      m.stallTimes = (m.stallTimes ?? 0) - 1;
      res.write(body.subarray(0, m.stallAfterBytes));
      return;
    }
    res.end(body);
  }
}

/** A forward proxy: absolute-URI requests for http, CONNECT tunnels for https. Logs what it carried. */
export class ForwardProxy {
  readonly log: string[] = [];
  private server!: http.Server;
  private readonly sockets = new Set<net.Socket>();
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.log.push(`${req.method} ${req.url}`);
      const target = new URL(req.url ?? '');
      const upstream = http.request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    this.server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      this.log.push(`CONNECT ${req.url}`);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      const closeBoth = (): void => {
        upstream.destroy();
        client.destroy();
      };
      upstream.on('error', closeBoth);
      client.on('error', closeBoth);
      upstream.on('close', closeBoth);
      client.on('close', closeBoth);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
