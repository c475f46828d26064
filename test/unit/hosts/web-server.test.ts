import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebHost } from '../../../src-main/hosts/web-server';
import { useTempDirs } from '../../helpers/temp';
import { startTestHost } from '../../helpers/web-host';

const tempDir = useTempDirs();
let web: WebHost | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request, so tests control Host and Origin exactly as a browser or an attacker would send them. */
function request(port: number, options: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<Reply> {
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

async function start(): Promise<WebHost> {
  const dataDir = await tempDir();
  const staticDir = path.join(dataDir, 'static');
  await mkdir(staticDir, { recursive: true });
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Easel</title>');
  await writeFile(path.join(staticDir, 'app.js'), 'console.log(1)');
  await writeFile(path.join(dataDir, 'secret.txt'), 'do not serve');
  web = (await startTestHost(dataDir, staticDir)).web;
  return web;
}

function call(host: WebHost, channel: string, body: unknown, headers: Record<string, string> = {}) {
  return request(host.port, {
    path: `/api/call/${channel}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-easel-token': host.token, ...headers },
    body: JSON.stringify(body),
  });
}

describe('the web host', () => {
  it('listens on 127.0.0.1 and prints a URL with a random token', async () => {
    const host = await start();
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?token=[\\w-]{32}$`));
  });

  it('answers a real call through the contract', async () => {
    const host = await start();
    const reply = await call(host, 'app.info', {});
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: true, value: { name: 'Easel', host: 'web', version: '0.0.0-test' } });
  });

  it('says 401 without the token or with a wrong one', async () => {
    const host = await start();
    const attempts: Array<Record<string, string>> = [{}, { 'x-easel-token': 'wrong' }, { 'x-easel-token': `${host.token}x` }];
    for (const headers of attempts) {
      const reply = await request(host.port, { path: '/api/call/app.info', method: 'POST', headers, body: '{}' });
      expect(reply.status).toBe(401);
      expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect((await request(host.port, { path: '/' })).status).toBe(401);
    expect((await request(host.port, { path: '/app.js' })).status).toBe(401);
  });

  it('says 403 to a foreign Origin or Host, even with the token (DNS rebinding)', async () => {
    const host = await start();
    expect((await call(host, 'app.info', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await call(host, 'app.info', {}, { origin: `http://evil.example:${host.port}` })).status).toBe(403);
    expect((await call(host, 'app.info', {}, { host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await call(host, 'app.info', {}, { origin: `http://localhost:${host.port}` })).status).toBe(200);
  });

  it('turns a bad payload into a typed error', async () => {
    const host = await start();
    const invalid = await call(host, 'settings.update', { theme: 'purple' });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

    const unknown = await call(host, 'files.delete', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });

    const notJson = await request(host.port, {
      path: '/api/call/app.info',
      method: 'POST',
      headers: { 'x-easel-token': host.token },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('serves the page with the CSP and a same-site cookie that lets its assets load', async () => {
    const host = await start();
    const page = await request(host.port, { path: `/?token=${host.token}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("object-src 'none'");
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');

    const asset = await request(host.port, { path: '/app.js', headers: { cookie: cookie.split(';')[0] as string } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
  });

  it('never serves files outside the renderer folder', async () => {
    const host = await start();
    for (const sneaky of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const reply = await request(host.port, { path: sneaky, headers: { 'x-easel-token': host.token } });
      expect(reply.body).not.toContain('do not serve');
    }
  });

  it('pushes events over a WebSocket that carries the token, and refuses one that does not', async () => {
    const host = await start();
    const refused = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`);
    const refusal = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(refusal).toBe(401);

    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
    await new Promise((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    const message = new Promise<unknown>((resolve) => socket.on('message', (data) => resolve(JSON.parse(String(data)))));
    await call(host, 'settings.update', { theme: 'dark' });
    expect(await message).toMatchObject({ event: 'settings.changed', payload: { theme: 'dark', hubTokenSet: false } });
    socket.close();
  });
});
