import { afterEach, describe, expect, it } from 'vitest';
import { parseRequestTarget } from '../../../../src-main/hosts/web/auth';
import type { WebHost } from '../../../../src-main/hosts/web-server';
import { call, request, startHostWithStaticFiles } from '../../../helpers/raw-http';
import { useTempDirs } from '../../../helpers/temp';

const tempDir = useTempDirs();
let web: WebHost | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

async function start(): Promise<WebHost> {
  web = await startHostWithStaticFiles(await tempDir());
  return web;
}

describe('who may talk to the web host', () => {
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

  it('says 401 to a call or an unknown API address without the token or with a wrong one', async () => {
    const host = await start();
    const attempts: Array<Record<string, string>> = [{}, { 'x-easel-token': 'wrong' }, { 'x-easel-token': `${host.token}x` }];
    for (const headers of attempts) {
      for (const path of ['/api/call/app.info', '/api/other']) {
        const reply = await request(host.port, { path, method: 'POST', headers, body: '{}' });
        expect(reply.status).toBe(401);
        expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      }
    }
  });

  it('says 403 to a foreign Origin or Host, even with the token (DNS rebinding)', async () => {
    const host = await start();
    expect((await call(host, 'app.info', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await call(host, 'app.info', {}, { origin: `http://evil.example:${host.port}` })).status).toBe(403);
    expect((await call(host, 'app.info', {}, { host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await request(host.port, { path: '/', headers: { host: `evil.example:${host.port}` } })).status).toBe(403);
    expect((await call(host, 'app.info', {}, { origin: `http://localhost:${host.port}` })).status).toBe(200);
  });

  it('sets no cookie, so the token never travels to another server on 127.0.0.1 (cookies ignore ports)', async () => {
    const host = await start();
    const page = await request(host.port, { path: `/?token=${host.token}` });
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']).toBeUndefined();
    // A cookie another local server might have set under the old name authenticates nothing.
    const withCookie = await request(host.port, {
      path: '/api/call/app.info',
      method: 'POST',
      headers: { cookie: `easel_token=${host.token}` },
      body: '{}',
    });
    expect(withCookie.status).toBe(401);
  });

  it('reads a request-target as a path on this server or not at all', () => {
    expect(parseRequestTarget('/api/call/app.info?token=a')?.searchParams.get('token')).toBe('a');
    for (const target of ['http://[', '//[', 'http://a:99999/', '//evil.example/', '*', undefined]) {
      expect(parseRequestTarget(target)).toBeNull();
    }
  });
});
