import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import type { WebHost } from '../../src-main/hosts/web-server';
import { readPicture } from '../unit/demo-model/analyse';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { launchChromium, screenshot } from './browser';
import { closeApp } from './page-kit';

let dataDir: string;
let browser: Browser;
let core: Easel;
let web: WebHost;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-demo-first-image-'));
  browser = await launchChromium();
});
// The data folder goes last: the core may still be writing thumbnails into it until it shuts down.
afterAll(() => closeApp({ browser, web, core, dataDir }));

describe('a new user with nothing downloaded', () => {
  it('makes a real picture with the built-in demo, which is selected for them', async () => {
    ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'dark' });
    await page.goto(web.url);
    const form = page.getByRole('form', { name: 'Generation settings' });
    await expect.poll(() => form.getByLabel('Model', { exact: true }).inputValue(), { timeout: 10_000 }).toBe('easel-demo');
    await form.getByLabel('Prompt', { exact: true }).fill('a yellow star on a purple background');
    await form.getByRole('button', { name: /^Generate/ }).click();

    await expect.poll(async () => (await core.gallery.list({})).total, { timeout: 30_000 }).toBe(1);
    const [item] = (await core.gallery.list({})).items;
    expect(item?.meta).toMatchObject({ modelId: 'easel-demo', modelName: 'Easel Demo (built-in)', placeholder: false, width: 64, height: 64 });

    // The picture is what was asked for: read it as the quality tests do.
    const { data, info } = await sharp((await core.gallery.file(item!.id)).bytes)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(readPicture(new Uint8Array(data), info.width, info.height)).toMatchObject({ colour: 'yellow', background: 'purple' });
    await expect.poll(() => page.getByText('Saved to the gallery').count()).toBe(1);
    await screenshot(page, 'demo-first-image');
    await page.close();
  });
});
