import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import { addPngTextChunks } from '../../src-main/core/gallery/png-text';
import type { WebHost } from '../../src-main/hosts/web-server';
import type { ModelSummary } from '../../src-preload/api';
import { fixtureModel } from '../fixtures/models';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { launchChromium, screenshot } from './browser';
import { closeApp, dropFiles, mainNav, poll, watchPageProblems } from './page-kit';

/** Long on purpose: past CLIP's 75 tokens, so the counter shows chunks and the layouts meet real prompts. */
const LONG_PROMPT =
  'a weathered lighthouse on a basalt cliff at dawn, towering waves breaking below, seabirds circling the lamp room, ' +
  'soft volumetric light through sea mist, a small red fishing boat returning to the harbour, wet stone steps, ' +
  'lichen on the rocks, dramatic clouds lit from beneath in amber and rose, painted in loose watercolour with ' +
  'visible paper texture, fine ink linework, muted teal and ochre palette, wide establishing shot, calm and lonely mood, ' +
  'highly detailed, award winning illustration';
const NEGATIVE = 'blurry, low quality, text, watermark, extra limbs';

/** What the test reads from the page's global scope (the Node-side tsconfig has no DOM types). */
interface PageGlobals {
  navigator: { clipboard: { readText(): Promise<string> } };
}

let dataDir: string;
let browser: Browser;
let core: Easel;
let web: WebHost;
let page: Page;
let model: ModelSummary;
let pageProblems: string[] = [];

beforeAll(async () => {
  const fixtureDir = await fixtureModel('sd15-legacy');
  // One data folder for the whole file: the tests follow one person's session, so it outlives each test.
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-generate-gallery-'));
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
  model = await core.models.importFolder(fixtureDir, 'reference');
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'dark' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(web.url).origin });
  page = await context.newPage();
  pageProblems = watchPageProblems(page, { consoleErrors: true });
  await page.goto(web.url);
});

afterAll(() => closeApp({ browser, web, core, dataDir }));

const nav = (label: string) => mainNav(page, label);
const form = () => page.getByRole('form', { name: 'Generation settings' });

/** Types into a number box and leaves it, which is when it applies. */
async function setNumber(label: string, value: number): Promise<void> {
  const input = form().getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.press('Tab');
  expect(await input.inputValue()).toBe(String(value));
}

/** A small grey PNG with no parameters in it. */
function plainPng(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 120, g: 130, b: 140 } } }).png().toBuffer();
}

async function galleryTotal(): Promise<number> {
  return (await core.gallery.list({ offset: 0, limit: 1 })).total;
}

describe('Generate and Gallery in Chromium through the web host', () => {
  it('generates with progress, cancels a long run, and browses, searches, reuses, favourites, deletes and restores', async () => {
    // Generate: the imported model is offered, with its defaults.
    await nav('Generate').click();
    const modelSelect = form().getByLabel('Model', { exact: true });
    await poll(() => modelSelect.locator('option').allTextContents()).toContain(model.name);
    await modelSelect.selectOption(model.id);
    expect(await form().getByLabel('Steps', { exact: true }).inputValue()).toBe(String(model.defaults.steps));

    await form().getByLabel('Prompt', { exact: true }).fill(LONG_PROMPT);
    await form().getByLabel('Negative prompt', { exact: true }).fill(NEGATIVE);
    await poll(() => page.locator('#prompt-prompt-tokens').textContent()).toMatch(/^\d+\/\d+ tokens · \d+ chunks$/);
    await setNumber('Width', 64);
    await setNumber('Height', 64);
    await setNumber('Steps', 5);
    await setNumber('Batch count', 2);
    expect(await form().getByRole('option', { name: /\(default\)$/ }).count()).toBe(1);
    // This model has no tiny decoder: the form offers the full VAE only and says why.
    const decoderSelect = form().getByLabel('Decoder', { exact: true });
    expect(await decoderSelect.locator('option').allTextContents()).toEqual(['Auto (fast decoder on CPU)', 'Full VAE']);
    expect(await page.locator('#decoder-hint').textContent()).toMatch(/has no tiny decoder/);
    await form().getByLabel('Prompt', { exact: true }).focus();
    await screenshot(page, 'generate-empty');

    // First run: two small images, shown large when done and saved to the gallery.
    await form().getByRole('button', { name: /^Generate/ }).click();
    const result = page.locator('img.result-image');
    await poll(() => result.isVisible(), { timeout: 30_000 }).toBe(true);
    await poll(() => page.getByRole('listbox', { name: 'Images of this run' }).getByRole('option').count()).toBe(2);
    expect(await page.locator('.result-caption').textContent()).toMatch(/^Saved to the gallery · seed \d+ · 64×64/);
    expect(await galleryTotal()).toBe(2);
    const firstSeed = await form().getByLabel('Seed', { exact: true }).inputValue();
    await screenshot(page, 'generate-done');

    // Second run, long enough to watch: live progress, then Cancel stops it part-way.
    await setNumber('Width', 1024);
    await setNumber('Height', 1024);
    await setNumber('Steps', 120);
    await setNumber('Batch count', 1);
    await page.keyboard.press('Control+Enter');
    const progressText = page.getByLabel('Generation progress').locator('.progress-status');
    await expect
      .poll(async () => Number(/^Step (\d+) of 120/.exec((await progressText.textContent().catch(() => '')) ?? '')?.[1] ?? 0), {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(3);
    await poll(() => page.locator('img.live-preview').isVisible()).toBe(true);
    await screenshot(page, 'generate-running');
    // Another run waits behind it in the queue, and can be taken off again.
    await page.keyboard.press('Control+Enter');
    const queue = page.getByRole('region', { name: 'Queue' });
    await poll(() => queue.getByText('Waiting', { exact: true }).isVisible()).toBe(true);
    await queue.getByRole('button', { name: 'Remove from queue' }).click();
    await poll(() => core.jobs.list().some((job) => job.state === 'queued')).toBe(false);
    expect(await queue.getByText('Waiting', { exact: true }).count()).toBe(0);
    await page.getByLabel('Generation progress').getByRole('button', { name: 'Cancel' }).click();
    await poll(() => page.getByRole('heading', { name: 'Cancelled' }).isVisible(), { timeout: 30_000 }).toBe(true);
    const cancelled = core.jobs.list().at(-1);
    expect(cancelled?.state).toBe('cancelled');
    expect(cancelled?.progress?.step).toBeLessThan(120);
    // An unlocked seed is drawn afresh for each run.
    expect(await form().getByLabel('Seed', { exact: true }).inputValue()).not.toBe(firstSeed);
    expect(await galleryTotal()).toBe(2);

    // Gallery: both images, newest first; search finds them by a word of the prompt.
    await nav('Gallery').click();
    const cells = page.getByRole('list', { name: 'Images, newest first' }).getByRole('button', { name: /^Open image/ });
    await poll(() => cells.count()).toBe(2);
    await poll(() => page.locator('.gallery-cell img').count()).toBe(2);
    await screenshot(page, 'gallery-grid');

    const search = page.getByRole('searchbox', { name: 'Search prompts' });
    await search.fill('lighthouse watercolour');
    await poll(() => cells.count()).toBe(2);
    await search.fill('submarine');
    await poll(() => page.getByRole('heading', { name: /No images match “submarine”/ }).isVisible()).toBe(true);
    await screenshot(page, 'gallery-search-empty');
    await page.getByRole('button', { name: 'Clear search and filters' }).click();
    await poll(() => cells.count()).toBe(2);

    // The viewer: parameters, arrows between images, Esc to close.
    await cells.first().click();
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    await poll(() => viewer.locator('.viewer-image img').isVisible()).toBe(true);
    expect(await viewer.locator('.prompt-text').first().textContent()).toBe(LONG_PROMPT);
    expect(await viewer.getByText('1 of 2').isVisible()).toBe(true);
    await screenshot(page, 'gallery-viewer');
    await page.keyboard.press('ArrowRight');
    await poll(() => viewer.getByText('2 of 2').isVisible()).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await poll(() => viewer.getByText('1 of 2').isVisible()).toBe(true);
    await viewer.getByRole('button', { name: 'Copy prompt' }).click();
    await poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText())).toBe(LONG_PROMPT);
    await page.keyboard.press('Escape');
    await poll(() => viewer.count()).toBe(0);

    // Favourite it, then reuse its settings on Generate.
    await cells.first().click();
    await viewer.getByRole('button', { name: 'Favourite', pressed: false }).click();
    await poll(() => viewer.getByRole('button', { name: 'Favourite', pressed: true }).isVisible()).toBe(true);
    const newest = (await core.gallery.list({ offset: 0, limit: 1 })).items[0];
    expect(newest?.favourite).toBe(true);
    await viewer.getByRole('button', { name: 'Use these settings' }).click();
    await poll(() => form().isVisible()).toBe(true);
    expect(await form().getByLabel('Prompt', { exact: true }).inputValue()).toBe(LONG_PROMPT);
    expect(await form().getByLabel('Seed', { exact: true }).inputValue()).toBe(newest?.meta.seed);
    expect(await form().getByLabel('Width', { exact: true }).inputValue()).toBe('64');
    expect(await form().getByLabel('Steps', { exact: true }).inputValue()).toBe('5');
    expect(await form().getByRole('button', { name: 'Keep this seed' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('status').filter({ hasText: 'Loaded the settings of the gallery image.' }).isVisible()).toBe(true);

    // Delete from the viewer, then Undo from the toast.
    await nav('Gallery').click();
    await cells.first().click();
    await viewer.getByRole('button', { name: 'Delete' }).click();
    const toast = page.locator('.toast');
    await poll(() => toast.textContent()).toContain('Image deleted.');
    await poll(() => galleryTotal()).toBe(1);
    await screenshot(page, 'gallery-undo-toast');
    await poll(() => viewer.getByText('1 of 1').isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await poll(() => cells.count()).toBe(1);
    await toast.getByRole('button', { name: 'Undo' }).click();
    await poll(() => galleryTotal()).toBe(2);
    await poll(() => cells.count()).toBe(2);

    expect(pageProblems).toEqual([]);
  });

  it('loads the settings of a dropped AUTOMATIC1111 PNG, and runs img2img from a picked image', async () => {
    await nav('Generate').click();
    const a1111 = addPngTextChunks(await plainPng(), {
      parameters:
        'a red fox in a snowy forest, morning mist\nNegative prompt: lowres, watermark\n' +
        'Steps: 6, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3456789012, Size: 64x64, Model: v1-5',
    });
    await dropFiles(page.locator('.generate-screen'), [{ name: 'fox.png', bytes: a1111, type: 'image/png' }]);
    await poll(() => page.getByRole('status').filter({ hasText: '"fox.png" (made with AUTOMATIC1111)' }).isVisible()).toBe(true);
    expect(await form().getByLabel('Prompt', { exact: true }).inputValue()).toBe('a red fox in a snowy forest, morning mist');
    expect(await form().getByLabel('Negative prompt', { exact: true }).inputValue()).toBe('lowres, watermark');
    expect(await form().getByLabel('Steps', { exact: true }).inputValue()).toBe('6');
    expect(await form().getByLabel('Guidance (CFG)', { exact: true }).inputValue()).toBe('6.5');
    expect(await form().getByLabel('Seed', { exact: true }).inputValue()).toBe('3456789012');
    expect(await form().getByLabel('Scheduler', { exact: true }).inputValue()).toBe('dpmpp-2m-karras');

    // A picked image becomes the img2img start, with its strength.
    await form().getByLabel('Image to start from').setInputFiles({ name: 'start.png', mimeType: 'image/png', buffer: await plainPng() });
    await poll(() => form().getByRole('img', { name: 'The image to start from' }).isVisible()).toBe(true);
    await setNumber('Strength', 0.6);
    await setNumber('Batch count', 1);
    await screenshot(page, 'generate-img2img');
    await form().getByRole('button', { name: /^Generate/ }).click();
    await poll(async () => core.jobs.list().at(-1)?.state, { timeout: 30_000 }).toBe('done');
    const made = core.jobs.list().at(-1);
    expect(made?.request.strength).toBe(0.6);
    expect(made?.results[0]?.meta.strength).toBe(0.6);
    expect(made?.results[0]?.meta.seed).toBe('3456789012');
    await poll(() => page.locator('img.result-image').isVisible()).toBe(true);

    await form().getByRole('button', { name: 'Remove the starting image' }).click();
    expect(await form().getByRole('img', { name: 'The image to start from' }).count()).toBe(0);
    expect(pageProblems).toEqual([]);
  });

  it('draws only the visible part of a large gallery and pages in the rest while scrolling', async () => {
    const rgb = new Uint8Array(64 * 64 * 3).fill(90);
    const before = await galleryTotal();
    for (let index = 0; index < 400; index++) {
      await core.gallery.save(rgb, 64, 64, {
        prompt: `bulk image number ${index}`,
        negativePrompt: '',
        modelId: model.id,
        modelName: model.name,
        scheduler: 'euler',
        steps: 4,
        guidance: 7,
        seed: String(index),
        width: 64,
        height: 64,
        provider: 'cpu',
        timings: { totalMs: 100, textEncodeMs: 10, denoiseMs: 80, decodeMs: 10, perStepMs: 20 },
        placeholder: false,
        notes: [],
        createdAt: new Date().toISOString(),
        app: 'Easel test',
      });
    }
    const total = before + 400;
    await nav('Gallery').click();
    await poll(() => page.locator('.gallery-count').textContent()).toBe(`${total} images`);
    const list = page.getByRole('list', { name: 'Images, newest first' });
    const drawn = await list.getByRole('listitem').count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(100);
    await poll(() => page.locator('.gallery-cell img').count()).toBe(drawn);
    await screenshot(page, 'gallery-large');

    // To the end: the last page arrives and the cells drawn stay few.
    await page.locator('.virtual-grid').evaluate((element) => {
      const scroller = element as unknown as { scrollTop: number; scrollHeight: number };
      scroller.scrollTop = scroller.scrollHeight;
    });
    const last = list.getByRole('listitem').filter({ has: page.getByRole('button', { name: /^Open image/ }) }).last();
    await poll(() => last.getAttribute('aria-posinset')).toBe(String(total));
    expect(await list.getByRole('listitem').count()).toBeLessThan(100);
    await last.getByRole('button').click();
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    await poll(() => viewer.getByText(`${total} of ${total}`).isVisible()).toBe(true);
    await page.keyboard.press('Escape');

    // A search narrows the thousands to one.
    await page.getByRole('searchbox', { name: 'Search prompts' }).fill('number 123');
    await poll(() => list.getByRole('listitem').count()).toBe(1);
    expect(pageProblems).toEqual([]);
  });

  it('offers the fast decoder for a model that carries a tiny one', async () => {
    const withTiny = await core.models.importFolder(await fixtureModel('sd15-optimum', { tinyDecoder: true }), 'reference');
    await nav('Generate').click();
    const modelSelect = form().getByLabel('Model', { exact: true });
    await poll(() => modelSelect.locator('option').allTextContents()).toContain(withTiny.name);
    await modelSelect.selectOption(withTiny.id);
    const decoderSelect = form().getByLabel('Decoder', { exact: true });
    await poll(() => decoderSelect.locator('option').allTextContents()).toEqual(['Auto (fast decoder on CPU)', 'Full VAE', 'Fast (tiny decoder)']);
    expect(await page.locator('#decoder-hint').count()).toBe(0);
    await decoderSelect.selectOption('tiny');

    // Back on the model without one, the form goes back to the automatic choice and the hint says why.
    await modelSelect.selectOption(model.id);
    await poll(() => decoderSelect.locator('option').allTextContents()).toEqual(['Auto (fast decoder on CPU)', 'Full VAE']);
    expect(await decoderSelect.inputValue()).toBe('auto');
    expect(await page.locator('#decoder-hint').isVisible()).toBe(true);
    expect(pageProblems).toEqual([]);
  });
});
