import { afterEach, describe, expect, it } from 'vitest';
import type { WebHost } from '../../../../src-main/hosts/web-server';
import { request, startHostWithStaticFiles } from '../../../helpers/raw-http';
import { useTempDirs } from '../../../helpers/temp';

const tempDir = useTempDirs();
let web: WebHost | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

describe('the web host’s static files', () => {
  it('serves the page with the CSP and its assets, without the token (they hold nothing secret)', async () => {
    web = await startHostWithStaticFiles(await tempDir());
    const page = await request(web.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("object-src 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');

    const asset = await request(web.port, { path: '/app.js' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect((await request(web.port, { path: '/missing.js' })).status).toBe(404);
    expect((await request(web.port, { path: '/gallery' })).body).toContain('<title>Easel</title>');
  });

  it('never serves files outside the renderer folder', async () => {
    web = await startHostWithStaticFiles(await tempDir());
    for (const sneaky of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%E0%A4%A.txt']) {
      const reply = await request(web.port, { path: sneaky });
      expect(reply.body).not.toContain('do not serve');
    }
  });
});
