import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import { CATALOG, type CatalogEntry } from '../../src-main/core/models/catalog';
import type { WebHost } from '../../src-main/hosts/web-server';
import { generateRequestSchema, type GalleryItem } from '../../src-preload/api';
import { FakeHub } from '../fixtures/hub/fake-hub';
import { buildUpscaler } from '../fixtures/onnx/upscaler';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { launchChromium } from './browser';
import { closeApp, mainNav, poll, screenshotAtWindowSizes, watchPageProblems, windowSizes } from './page-kit';

/**
 * A downloaded upscaler chosen in the gallery viewer: the light anime Real-ESRGAN's repository served by a local
 * hub with a tiny ×4 model in place of its file (its size and SHA-256 pinned as the catalog pins the real one's),
 * downloaded through the core, then picked in the viewer for Upscale 2×.
 */

const ANIME = 'real-esrgan-x4plus-anime';
let dataDir: string;
let browser: Browser;
let core: Easel;
let web: WebHost;
let hub: FakeHub;
let page: Page;
let pageProblems: string[] = [];

beforeAll(async () => {
  const real = CATALOG.find((entry) => entry.id === ANIME)!;
  if (real.source.kind !== 'huggingface') throw new Error('the anime upscaler should come from the hub');
  const content = Buffer.from(buildUpscaler(4, 'anime-e2e').model);
  hub = await new FakeHub([{ path: real.files[0]!.path, content, lfs: true }], { repo: real.source.repo, revision: real.source.revision }).start();
  const sha256 = createHash('sha256').update(content).digest('hex');
  const served: CatalogEntry = { ...real, files: [{ ...real.files[0]!, approxBytes: content.length, bytes: content.length, sha256 }], approxTotalBytes: content.length };
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-upscalers-'));
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer'), {
    catalog: CATALOG.map((entry) => (entry.id === ANIME ? served : entry)),
    downloaderOptions: { stallTimeoutMs: 2_000, retryBaseDelayMs: 10 },
  }));
  await core.settings.update({ hubEndpoint: hub.hubUrl });
  await core.models.download(ANIME);
  await until(async () => (await core.models.get(ANIME)).state === 'installed');
  await core.generate(generateRequestSchema.parse({ modelId: 'easel-demo', prompt: 'a red circle on a blue background', steps: 4, guidance: 5, width: 64, height: 64, scheduler: 'ddim' }));
  await until(async () => (await galleryItems()).length === 1);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: windowSizes[0] });
  pageProblems = watchPageProblems(page);
  await page.goto(web.url);
});

afterAll(() => closeApp({ browser, web, core, dataDir, hub }));

/** Waits, outside a test, for what the core does in the background; fails after a minute. */
async function until(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the core did not get there within a minute');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function galleryItems(): Promise<GalleryItem[]> {
  return (await core.gallery.list({ offset: 0, limit: 50 })).items;
}

describe('a downloaded upscaler', () => {
  it('is offered in the gallery viewer and upscales the picture', async () => {
    await mainNav(page, 'Gallery').click();
    await page.getByRole('list', { name: 'Images, newest first' }).getByRole('button', { name: /^Open image/ }).first().click();
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    const choice = viewer.getByLabel('Upscaler', { exact: true });
    await poll(() => choice.isVisible()).toBe(true);
    expect(await choice.locator('option').allTextContents()).toEqual(['Built-in upscaler', 'Real-ESRGAN x4plus Anime (light) (×4)', 'Lanczos (no model)']);
    await choice.selectOption(ANIME);
    await screenshotAtWindowSizes(page, 'viewer-upscaler-choice');
    await viewer.getByRole('button', { name: 'Upscale 2×' }).click();
    await poll(async () => (await galleryItems()).length, { timeout: 60_000 }).toBe(2);
    const upscaled = (await galleryItems())[0]!;
    expect([upscaled.width, upscaled.height]).toEqual([128, 128]);
    expect(upscaled.meta.upscale).toEqual({ scale: 2, upscaler: 'Real-ESRGAN x4plus Anime (light)' });
    expect(pageProblems).toEqual([]);
  });
});
