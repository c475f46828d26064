import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LARGE_BODY_BYTES, MAX_SMALL_BODY_BYTES } from '../../../../src-main/hosts/web/calls';
import type { WebHost } from '../../../../src-main/hosts/web-server';
import { call, request, startHostWithStaticFiles } from '../../../helpers/raw-http';
import { useTempDirs } from '../../../helpers/temp';

const tempDir = useTempDirs();
let web: WebHost | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

/** Streams `total` bytes of body in 64 KB chunks and reports the status and how much the server let through. */
function streamBody(host: WebHost, channel: string, total: number, declareLength: boolean): Promise<{ status: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'x-easel-token': host.token, 'content-type': 'application/json' };
    if (declareLength) headers['content-length'] = total;
    const req = http.request({ host: '127.0.0.1', port: host.port, path: `/api/call/${channel}`, method: 'POST', headers });
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sent }));
    });
    // The server closing the connection mid-body is the point; the response already came.
    req.on('error', (error) => (sent > 0 ? undefined : reject(error)));
    pump();
  });
}

describe('calls over HTTP', () => {
  it('turns a bad payload into a typed error', async () => {
    const host = (web = await startHostWithStaticFiles(await tempDir()));
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
    expect((await request(host.port, { path: '/api/call/app.info', headers: { 'x-easel-token': host.token } })).status).toBe(405);
  });

  it('refuses a declared oversized body before reading it', async () => {
    const host = (web = await startHostWithStaticFiles(await tempDir()));
    const reply = await streamBody(host, 'jobs.enqueue', MAX_LARGE_BODY_BYTES + 1024 * 1024, true);
    expect(reply.status).toBe(413);
    // The server answered long before the body could have been sent.
    expect(reply.sent).toBeLessThan(MAX_LARGE_BODY_BYTES);
  });

  it('stops reading an undeclared body once it passes the channel’s limit', async () => {
    const host = (web = await startHostWithStaticFiles(await tempDir()));
    const reply = await streamBody(host, 'settings.get', 8 * MAX_SMALL_BODY_BYTES, false);
    expect(reply.status).toBe(413);
    expect(reply.sent).toBeLessThan(8 * MAX_SMALL_BODY_BYTES);
    expect((await call(host, 'app.info', {})).status).toBe(200);
  });
});
