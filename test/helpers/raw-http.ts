import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { WebHost } from '../../src-main/hosts/web-server';
import { startTestHost } from './web-host';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request, so tests control Host and Origin exactly as a browser or an attacker would send them. */
export function request(
  port: number,
  options: { path: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: options.path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A contract call with the token in its header. */
export function call(host: WebHost, channel: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request(host.port, {
    path: `/api/call/${channel}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-easel-token': host.token, ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * Writes bytes to the server over a plain TCP socket and collects everything it answers until it
 * closes the connection (or `settleMs` passes in silence): inputs no HTTP client library would send.
 */
export function sendRaw(port: number, bytes: string | Buffer, settleMs = 500): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let timer = setTimeout(() => socket.destroy(), settleMs);
    const finish = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), settleMs);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', finish);
    socket.write(bytes);
  });
}

/** A real core behind a real web host, serving a tiny renderer folder next to a file it must never serve. */
export async function startHostWithStaticFiles(dataDir: string): Promise<WebHost> {
  const staticDir = path.join(dataDir, 'static');
  await mkdir(staticDir, { recursive: true });
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Easel</title>');
  await writeFile(path.join(staticDir, 'app.js'), 'console.log(1)');
  await writeFile(path.join(dataDir, 'secret.txt'), 'do not serve');
  return (await startTestHost(dataDir, staticDir)).web;
}
