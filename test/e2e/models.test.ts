import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import { formatBytes } from '../../src-main/core/format';
import { DEMO_MODEL_ID, findCatalogEntry } from '../../src-main/core/models/catalog';
import { mountPointOf } from '../../src-main/core/models/disk-space';
import type { WebHost } from '../../src-main/hosts/web-server';
import type { DownloadPlanSummary, Result } from '../../src-preload/api';
import type { FakeHub } from '../fixtures/hub/fake-hub';
import { startModelHub } from '../fixtures/hub/model-hub';
import { fixtureModel } from '../fixtures/models';
import { useTempDirs } from '../helpers/temp';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { launchChromium, screenshot } from './browser';
import { closeApp, watchPageProblems } from './page-kit';

const MODEL_ID = 'tiny-model';
const tempDir = useTempDirs();
let browser: Browser;
let hub: FakeHub;
let core: Easel;
let web: WebHost;
let dataDir: string;
let page: Page;
/** The test model's size as the core writes it ("194 KB"): the screen must read the same. */
let size: string;
let pageProblems: string[] = [];

beforeAll(async () => {
  const started = await startModelHub('sd15-legacy', MODEL_ID);
  hub = started.hub;
  size = formatBytes(started.entry.approxTotalBytes);
  dataDir = await tempDir();
  const demo = findCatalogEntry(DEMO_MODEL_ID);
  const sdTurbo = findCatalogEntry('sd-turbo');
  if (!demo || !sdTurbo) throw new Error('The catalog lost its demo or SD-Turbo entry');
  // The real catalog's demo and SD-Turbo stand beside the test model so the list looks as it will for a person.
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer'), {
    catalog: [demo, started.entry, sdTurbo],
    downloaderOptions: { stallTimeoutMs: 2000, retryBaseDelayMs: 1000 },
  }));
  await core.settings.update({ hubEndpoint: hub.hubUrl });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  pageProblems = watchPageProblems(page, { consoleErrors: true, allowFailedResources: true });
  page.on('response', (response) => {
    if (response.status() >= 400 && !new URL(response.url()).pathname.startsWith('/api/call/')) {
      pageProblems.push(`${response.status()} ${response.url()}`);
    }
  });
  await page.goto(web.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Models', exact: true }).click();
});

afterAll(() => closeApp({ browser, web, core, hub }));

function card(name: string): Locator {
  return page.getByRole('article', { name });
}

/** The page's focused element, read in the page (the Node-side tsconfig has no DOM types). */
interface PageDocument {
  document: { activeElement: { textContent: string | null; closest(selector: string): unknown } | null };
}
const focused = () =>
  page.evaluate(() => {
    const { activeElement } = (globalThis as unknown as PageDocument).document;
    return { text: activeElement?.textContent ?? null, inDialog: activeElement?.closest('dialog') != null };
  });

const tiny = () => card('Tiny sd15-legacy');
const stateOf = async (model: Locator) => (await model.locator('.model-state').textContent()) ?? '';

async function openConsent(): Promise<Locator> {
  await tiny().getByRole('button', { name: 'Download', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Download Tiny sd15-legacy?' });
  await dialog.getByText('To download').waitFor();
  return dialog;
}

describe('the Models screen in Chromium against a local hub', () => {
  it('lists every model with what a person needs to choose', async () => {
    await tiny().waitFor();
    expect(await stateOf(tiny())).toBe('Not downloaded');
    const facts = (await tiny().locator('.model-facts').innerText()).replace(/\s+/g, ' ');
    expect(facts).toContain(`Download ${size}`);
    expect(facts).toContain('Needs 1 GB RAM · no GPU needed');
    expect(facts).toContain('Native size 64×64');
    expect(facts).toContain('Default steps 4');
    expect(await tiny().getByRole('link', { name: 'MIT' }).getAttribute('href')).toBe('https://opensource.org/license/mit');

    const turbo = card('SD-Turbo');
    // Its name says its family: no badge repeats it.
    expect(await turbo.locator('.model-badge').count()).toBe(0);
    expect(await turbo.locator('.model-facts').innerText()).toMatch(/Download\s+2\.\d GB/);

    const demo = card('Easel Demo (built-in)');
    expect(await demo.getByText('Built in', { exact: true }).count()).toBe(0);
    expect(await demo.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    await screenshot(page, 'models-list');
  });

  it('asks before downloading, keeps focus in the question, and closes on Esc', async () => {
    const dialog = await openConsent();
    const plan = (await dialog.locator('.models-plan').innerText()).replace(/\s+/g, ' ');
    expect(plan).toContain(`To download ${size}`);
    expect(plan).toMatch(/Free disk \d+(\.\d)? [KMGT]B/);
    expect(plan).toContain(path.join(dataDir, 'models', MODEL_ID));
    expect(await dialog.getByRole('link', { name: 'MIT' }).isVisible()).toBe(true);
    await screenshot(page, 'models-consent');

    // The answer arrived, so the yes has the focus; Tab cycles inside the dialog and never reaches the page.
    await expect.poll(async () => (await focused()).text).toBe('Download');
    for (let press = 0; press < 5; press += 1) {
      await page.keyboard.press('Tab');
      expect((await focused()).inDialog).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await stateOf(tiny())).toBe('Not downloaded');
  });

  it('refuses in words when the disk is too small', async () => {
    // Filling a real disk is not possible here: the real plan is fetched and only its free space is shrunk.
    await page.route('**/api/call/models.plan', async (route) => {
      const response = await route.fetch();
      const result = (await response.json()) as Result<DownloadPlanSummary>;
      if (result.ok) result.value.freeBytes = 1400;
      await route.fulfill({ response, json: result });
    });
    try {
      const dialog = await openConsent();
      const refusal = dialog.getByRole('alert');
      expect(await refusal.textContent()).toContain(
        `Not enough disk space: ${size} needed, 1.4 KB free on ${await mountPointOf(path.join(dataDir, 'models'))}.`,
      );
      expect(await dialog.getByRole('button', { name: 'Download' }).isDisabled()).toBe(true);
      await dialog.getByRole('button', { name: 'Not now' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
    } finally {
      await page.unroute('**/api/call/models.plan');
    }
  });

  it('downloads with live progress, pauses, resumes and installs', async () => {
    // A hub that goes silent every 8 KB: the download crawls, retrying, until the test lets it go. The
    // retry delay (1 s) is long enough for the retry message to be read before bytes flow again.
    hub.misbehaviour = { stallAfterBytes: 8000, stallTimes: 1000 };
    const dialog = await openConsent();
    await dialog.getByRole('button', { name: 'Download' }).click();

    const progress = tiny().locator('.models-progress');
    await expect.poll(() => progress.locator('.models-progress-figures').textContent()).toMatch(new RegExp(`^\\d+(\\.\\d)? of ${size}`));
    expect(await tiny().getByRole('progressbar', { name: 'Downloading Tiny sd15-legacy' }).isVisible()).toBe(true);
    // The core's words about the stall and the retry reach the card.
    await progress.getByText(/No data for 2 s at .* — will resume/).waitFor();
    expect(await stateOf(tiny())).toBe('Downloading');
    await screenshot(page, 'models-progress');

    await tiny().getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => stateOf(tiny())).toBe('Paused');
    expect(await tiny().getByRole('status').textContent()).toMatch(new RegExp(`^Paused at \\d+(\\.\\d)? of ${size}\\. Resume continues`));

    hub.misbehaviour = {};
    const rangedBefore = hub.cdnRequests().filter((request) => request.headers.range).length;
    await tiny().getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => stateOf(tiny()), { timeout: 15_000 }).toBe('Installed');
    // Resuming asked only for the missing part of the partial files.
    expect(hub.cdnRequests().filter((request) => request.headers.range).length).toBeGreaterThan(rangedBefore);
    expect(await tiny().locator('.model-facts').innerText()).toMatch(/On disk\s+\d+ KB/);
  });

  it('verifies the installed model and hands it to generation', async () => {
    await tiny().getByRole('button', { name: 'Verify' }).click();
    expect(await tiny().getByRole('status').textContent()).toBe('Verified: every file is there and matches what was installed.');
    await screenshot(page, 'models-installed');

    const installed = await core.models.resolveForGeneration(MODEL_ID);
    expect(installed.folder.dir).toBe(path.join(dataDir, 'models', MODEL_ID));
    expect(existsSync(path.join(installed.folder.dir, 'unet', 'model.onnx'))).toBe(true);

    await tiny().getByRole('button', { name: 'Use this model' }).click();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect.poll(() => nav.getByRole('button', { name: 'Generate', exact: true }).getAttribute('aria-current')).toBe('page');
    expect((await core.settings.get()).lastModelId).toBe(MODEL_ID);
    await nav.getByRole('button', { name: 'Models', exact: true }).click();
    await tiny().getByText('In use', { exact: true }).waitFor();
    // The model in use leads the list and does not offer itself again.
    expect(await page.locator('.model-list > article').first().getAttribute('aria-labelledby')).toBe(await tiny().getAttribute('aria-labelledby'));
    expect(await tiny().getByRole('button', { name: 'Use this model' }).count()).toBe(0);
  });

  it('removes a model only after asking', async () => {
    await tiny().getByRole('button', { name: 'Remove' }).click();
    const question = page.getByRole('dialog', { name: 'Remove Tiny sd15-legacy?' });
    await question.getByRole('button', { name: 'Keep it' }).click();
    expect(await stateOf(tiny())).toBe('Installed');

    await tiny().getByRole('button', { name: 'Remove' }).click();
    await question.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => stateOf(tiny())).toBe('Not downloaded');
    expect(existsSync(path.join(dataDir, 'models', MODEL_ID))).toBe(false);
    await expect(core.models.resolveForGeneration(MODEL_ID)).rejects.toThrow(/not installed/);
  });

  it('says in words when a download arrives damaged, and retries', async () => {
    hub.misbehaviour = { corruptPaths: ['unet/model.onnx'] };
    const dialog = await openConsent();
    await dialog.getByRole('button', { name: 'Download' }).click();
    await expect.poll(() => stateOf(tiny()), { timeout: 15_000 }).toBe('Download failed');
    const failure = await tiny().getByRole('alert').textContent();
    expect(failure).toMatch(/^The downloaded unet\/model\.onnx .*so it was deleted\. Download again/);
    await screenshot(page, 'models-failed');

    hub.misbehaviour = {};
    await tiny().getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => stateOf(tiny()), { timeout: 15_000 }).toBe('Installed');
    expect((await core.models.verify(MODEL_ID)).ok).toBe(true);
  });

  it('imports a folder, and explains a folder it cannot use', async () => {
    const importPanel = page.getByRole('region', { name: 'Import a model folder' });
    const missing = path.join(dataDir, 'no-such-model');
    await importPanel.getByLabel('Folder', { exact: true }).fill(missing);
    await importPanel.getByRole('button', { name: 'Import' }).click();
    expect(await importPanel.getByRole('alert').textContent()).toBe(`${missing} is not a folder Easel can open.`);
    await importPanel.scrollIntoViewIfNeeded();
    await screenshot(page, 'models-import');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'models-import-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    const source = await fixtureModel('sd15-legacy');
    await importPanel.getByLabel('Folder', { exact: true }).fill(source);
    await importPanel.getByRole('radio', { name: /Copy into Easel's models folder/ }).check();
    await importPanel.getByRole('button', { name: 'Import' }).click();
    await importPanel.getByRole('status').waitFor();
    const imported = page.locator('article', { has: page.getByText('Imported', { exact: true }) });
    expect(await stateOf(imported)).toBe('Installed');

    await imported.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => imported.count()).toBe(0);
    // Only Easel's copy went; the folder it came from is untouched.
    expect(existsSync(path.join(source, 'model_index.json'))).toBe(true);
    expect(pageProblems).toEqual([]);
  });
});
