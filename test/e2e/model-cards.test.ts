import { cp, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import { DEMO_MODEL_ID } from '../../src-main/core/models/catalog';
import type { WebHost } from '../../src-main/hosts/web-server';
import { fixtureModel } from '../fixtures/models';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { seriousAxeProblems } from './axe';
import { launchChromium } from './browser';
import { closeApp, mainNav, poll, screenshotAtWindowSizes, watchPageProblems, windowSizes } from './page-kit';

/**
 * The Models cards, the wizard's model choice and Settings' provider choice as a person reads them: the
 * real catalog, the built-in demo and one imported model, at 1280×800 and 900×700.
 */

let dataDir: string;
let browser: Browser;
let core: Easel;
let web: WebHost;
let page: Page;
let importedName: string;
let pageProblems: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-model-cards-'));
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
  // A folder named as a person might name it, which says neither the family nor where it came from.
  const folder = path.join(dataDir, 'portrait-model');
  await cp(await fixtureModel('sd15-legacy'), folder, { recursive: true });
  importedName = (await core.models.importFolder(folder, 'reference')).name;
  await core.settings.update({ lastModelId: DEMO_MODEL_ID });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: windowSizes[0] });
  pageProblems = watchPageProblems(page);
  await page.goto(web.url);
});

afterAll(() => closeApp({ browser, web, core, dataDir }));

const nav = (label: string) => mainNav(page, label);
const cards = () => page.locator('.model-list > article');
const card = (name: string): Locator => page.getByRole('article', { name, exact: true });
const useButton = (of: Locator) => of.getByRole('button', { name: 'Use this model' });
const cardNames = () => cards().locator('h2').allTextContents();
/** The core's order with `name` moved to the front. */
const firstThenCoreOrder = async (name: string) => [name, ...(await core.models.list()).map((model) => model.name).filter((other) => other !== name)];

const screenshots = (name: string) => screenshotAtWindowSizes(page, name);

describe('model cards and the provider choice', () => {
  it('lists the model in use first, without "Use this model", and badges that add to the name', async () => {
    await nav('Models').click();
    const demo = card('Easel Demo (built-in)');
    await demo.waitFor();
    // Generate opened on the demo, the model used last, so the demo is in use.
    await poll(() => cardNames()).toEqual(await firstThenCoreOrder('Easel Demo (built-in)'));
    expect(await demo.getByText('In use', { exact: true }).isVisible()).toBe(true);
    expect(await useButton(demo).count()).toBe(0);

    // No badge repeats a catalog model's name; the imported folder's name says neither family nor origin.
    expect(await card('SD-Turbo').locator('.model-badge').count()).toBe(0);
    expect(await card('Stable Diffusion 1.5').locator('.model-badge').count()).toBe(0);
    expect(await demo.locator('.model-badge').allTextContents()).toEqual(['In use']);
    const imported = card(importedName);
    expect(await imported.locator('.model-badge').allTextContents()).toEqual(['SD 1.5', 'Imported']);
    await screenshots('model-cards-demo-in-use');

    await useButton(imported).click();
    await poll(() => nav('Generate').getAttribute('aria-current')).toBe('page');
    await nav('Models').click();
    await poll(() => cardNames()).toEqual(await firstThenCoreOrder(importedName));
    expect(await imported.locator('.model-badge').allTextContents()).toEqual(['SD 1.5', 'Imported', 'In use']);
    expect(await useButton(imported).count()).toBe(0);
    // The demo is no longer in use: it offers itself again, back in its place in the list.
    expect(await demo.getByText('In use', { exact: true }).count()).toBe(0);
    expect(await useButton(demo).isVisible()).toBe(true);
    await screenshots('model-cards-imported-in-use');
    expect(await seriousAxeProblems(page)).toEqual([]);
  });

  it('shows upscalers as upscalers with their factor, never to draw with', async () => {
    await nav('Models').click();
    const esrgan = card('Real-ESRGAN x4plus');
    await esrgan.waitFor();
    expect(await esrgan.locator('.model-badge').allTextContents()).toEqual(['Upscaler ×4']);
    expect(await esrgan.getByText('Enlarges', { exact: true }).isVisible()).toBe(true);
    expect(await esrgan.getByText('Native size', { exact: true }).count()).toBe(0);
    expect(await esrgan.getByRole('button', { name: 'Download' }).isVisible()).toBe(true);
    const builtin = card('ESRGAN slim ×4 (built-in)');
    expect(await builtin.locator('.model-badge').allTextContents()).toEqual(['Upscaler ×4']);
    expect(await useButton(builtin).count()).toBe(0);
    expect(await builtin.getByRole('button', { name: 'Verify' }).isVisible()).toBe(true);
    await esrgan.scrollIntoViewIfNeeded();
    await screenshots('model-cards-upscaler');
    // Generate offers no upscaler as a model to draw with.
    await nav('Generate').click();
    const options = await page.getByLabel('Model', { exact: true }).locator('option').allTextContents();
    expect(options.length).toBeGreaterThan(0);
    expect(options.filter((name) => /ESRGAN/.test(name))).toEqual([]);
  });

  it('says a model’s time once on its card in the setup wizard', async () => {
    await core.settings.update({ setupComplete: false, setupStep: 'model' });
    await page.reload();
    await poll(() => page.getByRole('heading', { level: 1, name: 'Choose a model' }).isVisible()).toBe(true);
    const sd15 = page.locator('.setup-option', { has: page.getByText('Stable Diffusion 1.5', { exact: true }) });
    // The estimate needs the self-test of this computer, which runs the demo on each provider.
    await poll(() => sd15.textContent(), { timeout: 90_000 }).toMatch(/per picture on the/);
    const text = (await sd15.textContent()) ?? '';
    expect(text.match(/about \d+(\.\d)? (s|min|h)\b/g)).toHaveLength(1);
    const estimate = (await core.system.recommendation()).estimates.find((candidate) => candidate.modelId === 'sd-1.5');
    expect(estimate?.note ?? null).toBeNull();
    await sd15.scrollIntoViewIfNeeded();
    await screenshots('model-cards-wizard-sd15');
    await core.settings.update({ setupComplete: true });
    await page.reload();
  });

  it('marks in Settings the providers this computer cannot run, and explains the one chosen', async () => {
    await nav('Settings').click();
    const select = page.getByLabel('Run models on');
    await select.waitFor();
    const { report } = await core.system.hardware();
    const hasNvidia = report.gpus.some((gpu) => gpu.vendor === 'nvidia');
    const option = (value: string) => select.locator(`option[value="${value}"]`);
    // The labels change once the graphics cards are known.
    await poll(() => option('cuda').textContent()).toBe(hasNvidia ? 'NVIDIA CUDA' : 'NVIDIA CUDA — no NVIDIA graphics card found');
    expect(await option('webgpu').textContent()).toBe(report.gpus.length > 0 ? 'WebGPU' : 'WebGPU — no graphics card found');
    expect(await option('cuda').isDisabled()).toBe(false);
    expect(await option('dml').isDisabled()).toBe(process.platform !== 'win32');
    expect(await option('coreml').isDisabled()).toBe(process.platform !== 'darwin');
    if (process.platform === 'linux') {
      expect(await option('dml').textContent()).toBe('DirectML (Windows) — not available here');
      expect(await option('coreml').textContent()).toBe('Core ML (macOS) — not available here');
    }
    expect(await option('auto').textContent()).toBe('Automatic (best available)');
    expect(await option('cpu').textContent()).toBe('CPU only');
    expect(await page.locator('#preferred-provider-note').count()).toBe(0);

    // CUDA stays a choice even where no NVIDIA card was found: detection can miss one. The choice says what follows.
    await select.selectOption('cuda');
    await poll(async () => (await core.settings.get()).preferredProvider).toBe('cuda');
    const note = page.locator('#preferred-provider-note');
    if (hasNvidia) {
      expect(await note.count()).toBe(0);
    } else {
      expect(await note.textContent()).toBe(
        'No NVIDIA graphics card found on this computer. Easel tries NVIDIA CUDA first all the same, then the best provider that works.',
      );
      expect(await select.getAttribute('aria-describedby')).toBe('preferred-provider-note');
    }
    await screenshots('settings-providers');
    expect(await seriousAxeProblems(page)).toEqual([]);
    // A drop-down's list does not show in a screenshot; shown as a list box for one, it does.
    await select.evaluate((element) => element.setAttribute('size', '6'));
    await screenshots('settings-providers-list');
    await select.evaluate((element) => element.removeAttribute('size'));
    await select.selectOption('auto');
    await poll(async () => (await core.settings.get()).preferredProvider).toBe('auto');
    expect(pageProblems).toEqual([]);
  });
});
