import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Easel } from '../../src-main/core/easel';
import type { CatalogEntry } from '../../src-main/core/models/catalog';
import { createDispatcher, createUploadDispatcher } from '../../src-main/hosts/dispatch';
import { createHandlers, createUploadHandlers } from '../../src-main/hosts/handlers';
import { startWebHost, type WebHost } from '../../src-main/hosts/web-server';
import type { FakeHub } from '../fixtures/hub/fake-hub';
import { startModelHub } from '../fixtures/hub/model-hub';
import { fixtureModel } from '../fixtures/models';
import { useTempDirs } from '../helpers/temp';
import { repoRoot, testPaths } from '../helpers/web-host';
import { webgpuImpossible } from '../unit/runtime/machine';
import { launchChromium, screenshot } from './browser';
import { closeApp, watchPageProblems } from './page-kit';

const tempDir = useTempDirs();
let browser: Browser;
let page: Page;
let hub: FakeHub;
let entry: CatalogEntry;
let core: Easel;
let web: WebHost;
let dataDir: string;
let pageProblems: string[] = [];

/**
 * A first run: a real core whose self-test runs a fixture model (the built-in demo may not exist in this
 * checkout), with no built-in models, a catalog of one model served by a local hub.
 */
beforeAll(async () => {
  ({ hub, entry } = await startModelHub('sd15-legacy', 'tiny-model'));
  dataDir = await tempDir();
  const builtinModels = path.join(dataDir, 'builtin');
  await mkdir(builtinModels);
  core = new Easel({
    paths: { ...testPaths(dataDir), builtinModels },
    host: 'web',
    version: '0.0.0-test',
    env: {},
    catalog: [entry],
    downloaderOptions: { stallTimeoutMs: 4000, retryBaseDelayMs: 100, maxRetries: 1 },
    selfTestModelDir: await fixtureModel('sd15-legacy'),
  });
  await core.settings.update({ hubEndpoint: hub.hubUrl });
  web = await startWebHost({
    dispatch: createDispatcher(createHandlers(core)),
    upload: createUploadDispatcher(createUploadHandlers(core)),
    events: core.events,
    staticDir: path.join(repoRoot, 'dist', 'renderer'),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  pageProblems = watchPageProblems(page, { consoleErrors: true, allowFailedResources: true });
});

afterAll(() => closeApp({ browser, web, core, hub }));

const heading = () => page.getByRole('heading', { level: 1 });
const settingsFile = async () => JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')) as Record<string, unknown>;

/** The focused element's id, read in the page (the Node-side tsconfig has no DOM types). */
const focusedId = () =>
  page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id ?? null);

describe('the first-run setup wizard', () => {
  it('goes from welcome to a first image with a downloaded model, and survives a reload mid-way', async () => {
    await page.goto(web.url);
    await expect.poll(() => heading().textContent()).toBe('Welcome to Easel');
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    expect(await page.getByRole('list', { name: 'Setup steps' }).locator('[aria-current="step"]').textContent()).toContain('Welcome');
    expect(await focusedId()).toBe('setup-title');
    await screenshot(page, 'setup-welcome');

    // Keyboard: Tab reaches "Get started", Enter presses it.
    const start = page.getByRole('button', { name: 'Get started' });
    for (let i = 0; i < 6 && !(await start.evaluate((button) => button === (button.ownerDocument as { activeElement: unknown }).activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');

    await expect.poll(() => heading().textContent()).toBe('Your computer');
    const suggestion = page.locator('.setup-recommendation');
    await suggestion.waitFor({ timeout: 60_000 });
    expect(await suggestion.textContent()).toMatch(/Easel suggests.*Tiny sd15-legacy at 64×64 in 4 steps, about/);
    const checks = page.locator('.setup-check');
    // Each time says which picture it is for, so it is not read as the suggested model's time.
    expect(await checks.filter({ hasText: 'Processor (CPU)' }).textContent()).toMatch(/Works: a \d+×\d+ test picture with .+ took [\d.]+ s\./);
    if (webgpuImpossible) {
      // With no graphics card found, WebGPU is said not to apply here: no red cross, no driver advice.
      const webgpu = checks.filter({ hasText: 'Graphics card (WebGPU)' });
      const report = await core.system.hardware();
      if (report.report.gpus.length === 0) {
        expect(await webgpu.textContent()).toContain('Not available on this computer: no graphics card was found for it to use.');
        expect(await webgpu.getByRole('img', { name: 'Not used' }).count()).toBe(1);
      } else {
        expect(await webgpu.textContent()).toContain('No GPU answered through WebGPU');
      }
    }
    expect(await checks.filter({ hasText: 'NVIDIA graphics card (CUDA)' }).textContent()).not.toContain('driver');
    expect(await page.locator('.setup-facts li').first().textContent()).toBeTruthy();
    await screenshot(page, 'setup-hardware');
    expect((await settingsFile()).setupStep).toBe('hardware');

    // A restart mid-way comes back to the same step.
    await page.reload();
    await expect.poll(() => heading().textContent()).toBe('Your computer');
    await suggestion.waitFor();
    await page.getByRole('button', { name: 'Choose a model' }).click();

    await expect.poll(() => heading().textContent()).toBe('Choose a model');
    const tiny = page.getByRole('radio', { name: /Tiny sd15-legacy/ });
    await expect.poll(() => tiny.isChecked()).toBe(true);
    expect(await page.locator('.setup-option', { hasText: 'Tiny sd15-legacy' }).textContent()).toMatch(/Recommended.*KB download.*64×64 pictures.*per picture on the processor/);
    expect(await page.getByRole('radio', { name: /Use the built-in demo/ }).isDisabled()).toBe(true);
    await screenshot(page, 'setup-model');
    expect((await settingsFile()).setupModelId).toBe('tiny-model');
    await page.getByRole('button', { name: 'Continue' }).click();

    await expect.poll(() => heading().textContent()).toBe('Download Tiny sd15-legacy');
    await page.getByText('To download').waitFor();

    // The hub is down: the download fails and says so, with a way to try again.
    hub.misbehaviour = { failTimes: 1000 };
    await page.getByRole('button', { name: 'Download', exact: true }).click();
    const tryAgain = page.getByRole('alert').getByRole('button', { name: 'Try again' });
    await tryAgain.waitFor({ timeout: 30_000 });

    // Back up, but slow: the first large file stalls, long enough to pause the download.
    hub.misbehaviour = { stallAfterBytes: 1000, stallTimes: 1 };
    await tryAgain.click();
    await page.getByRole('button', { name: 'Pause' }).click({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await page.getByRole('progressbar').isVisible()).toBe(true);
    await screenshot(page, 'setup-download');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => heading().textContent(), { timeout: 30_000 }).toBe('Tiny sd15-legacy is ready');
    await page.getByRole('button', { name: 'Make a picture' }).click();

    await expect.poll(() => heading().textContent()).toBe('Your first picture');
    await page.getByRole('button', { name: 'Make the picture' }).click();
    const picture = page.getByRole('figure');
    await picture.locator('img').waitFor({ timeout: 60_000 });
    expect(await picture.locator('figcaption').textContent()).toMatch(/^Made by the Processor \(CPU\) in [\d.]+ s\. It is saved in your gallery\.$/);
    expect(await picture.locator('img').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await screenshot(page, 'setup-first-image');
    await page.getByRole('button', { name: 'Finish' }).click();

    await expect.poll(() => heading().textContent()).toBe("You're all set");
    await screenshot(page, 'setup-done');
    await page.getByRole('button', { name: 'Start creating' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await settingsFile()).toMatchObject({ setupComplete: true, lastModelId: 'tiny-model', setupModelId: null });
    expect(pageProblems).toEqual([]);
  });

  it('opens again from Settings, and can be skipped at once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Run setup again' }).click();
    await expect.poll(() => heading().textContent()).toBe('Welcome to Easel');
    await page.getByRole('button', { name: 'Skip setup' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect((await settingsFile()).setupComplete).toBe(true);
    expect(pageProblems).toEqual([]);
  });
});
