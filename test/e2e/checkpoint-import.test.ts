import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, CDPSession, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import type { WebHost } from '../../src-main/hosts/web-server';
import { writeTinyCheckpoint } from '../fixtures/checkpoints';
import { f32, safetensorsBytes } from '../fixtures/safetensors';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { seriousAxeProblems } from './axe';
import { launchChromium } from './browser';
import { closeApp, dropFiles, mainNav, poll, screenshotAtWindowSizes, watchPageProblems, windowSizes } from './page-kit';

const FILE_NAME = 'Night Owl v3.safetensors';
let browser: Browser;
let core: Easel;
let web: WebHost;
let dataDir: string;
let page: Page;
let network: CDPSession;
let checkpoint: Buffer;
let pageProblems: string[] = [];

beforeAll(async () => {
  // One data folder for the whole file: the tests follow one person's session, so it outlives each test.
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-checkpoint-import-'));
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
  const file = path.join(dataDir, FILE_NAME);
  await writeTinyCheckpoint(file, 'sd1', { dtype: 'F16' });
  checkpoint = await readFile(file);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: windowSizes[0] });
  pageProblems = watchPageProblems(page, { consoleErrors: true, allowFailedResources: true });
  network = await page.context().newCDPSession(page);
  await network.send('Network.enable');
  await page.goto(web.url);
  await mainNav(page, 'Models').click();
});

afterAll(() => closeApp({ browser, web, core, dataDir }));

/** Uploads at about `bytesPerSecond`, so a tiny checkpoint takes long enough to watch and to cancel; -1 lifts the limit. */
async function limitUpload(bytesPerSecond: number): Promise<void> {
  await network.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
}

/** Drops a file onto the sidebar, beside the Models page: anywhere in the window takes the file. */
function dropFile(name: string, bytes: Buffer, whileDragging?: () => Promise<void>): Promise<void> {
  return dropFiles(page.getByRole('navigation', { name: 'Main' }), [{ name, bytes, type: 'application/octet-stream' }], whileDragging);
}

interface StatusGlobals {
  document: { body: unknown; querySelector(selector: string): { textContent: string | null } | null };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  importStatuses?: string[];
}

/** Records every status line the import card shows, however briefly, for the test to read afterwards. */
async function recordStatuses(): Promise<void> {
  await page.evaluate(() => {
    const scope = globalThis as unknown as StatusGlobals;
    const seen: string[] = [];
    scope.importStatuses = seen;
    new scope.MutationObserver(() => {
      const text = scope.document.querySelector('.checkpoint-import .models-progress-figures')?.textContent ?? null;
      if (text !== null && text !== seen.at(-1)) seen.push(text);
    }).observe(scope.document.body, { subtree: true, childList: true, characterData: true });
  });
}

const statuses = () => page.evaluate(() => (globalThis as unknown as StatusGlobals).importStatuses ?? []);
const card = (name: string): Locator => page.getByRole('article', { name, exact: true });
const hiddenLeftovers = async () => (await readdir(path.join(dataDir, 'models')).catch(() => [] as string[])).filter((name) => name.startsWith('.'));

describe('importing a checkpoint on the Models screen', () => {
  it('shows each stage of a dropped checkpoint, lists the model, and generates with it', async () => {
    await recordStatuses();
    await limitUpload(2 * 1024 * 1024);
    await dropFile(FILE_NAME, checkpoint, async () => {
      await poll(() => page.getByText('Drop a .safetensors checkpoint to import it').isVisible()).toBe(true);
      await screenshotAtWindowSizes(page, 'checkpoint-import-dragging');
    });
    expect(await page.getByText('Drop a .safetensors checkpoint to import it').isVisible()).toBe(false);

    const importing = card(`Importing ${FILE_NAME}`);
    await poll(() => importing.locator('.models-progress-figures').textContent()).toMatch(/^Receiving the file: [\d.]+ MB of 17\.2 MB$/);
    expect(await importing.locator('[aria-current="step"]').textContent()).toMatch(/^Receiving the file/);
    await screenshotAtWindowSizes(page, 'checkpoint-import-receiving');
    expect(await seriousAxeProblems(page)).toEqual([]);
    await limitUpload(-1);

    const done = card('Imported Night Owl v3');
    await poll(() => done.isVisible(), { timeout: 90_000 }).toBe(true);
    await screenshotAtWindowSizes(page, 'checkpoint-import-done');

    // The file arrived, then the stages came in order, each step further than the last, up to the tenth.
    const seen = (await statuses()).filter((status) => status !== 'Starting…');
    expect(seen[0]).toMatch(/^Receiving the file: /);
    const steps = seen.map((status) => /^Step (\d+) of (\d+): (.*)$/.exec(status)).filter((match) => match !== null);
    const numbers = steps.map((match) => Number(match[1]));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(steps.at(-1)?.[2]).toBe('10');
    expect(numbers.length).toBeGreaterThanOrEqual(2);

    await poll(() => card('Night Owl v3').isVisible()).toBe(true);
    expect(await hiddenLeftovers()).toEqual([]);

    // "Use this model" opens Generate on it, and it draws.
    await done.getByRole('button', { name: 'Use this model' }).click();
    const form = page.getByRole('form', { name: 'Generation settings' });
    await poll(() => form.getByLabel('Model', { exact: true }).inputValue()).toBe('night-owl-v3');
    await form.getByLabel('Prompt', { exact: true }).fill('an owl at night');
    for (const [label, value] of [
      ['Width', 64],
      ['Height', 64],
      ['Steps', 2],
    ] as const) {
      const input = form.getByLabel(label, { exact: true });
      await input.fill(String(value));
      await input.press('Tab');
    }
    await form.getByRole('button', { name: /^Generate/ }).click();
    await poll(() => page.locator('img.result-image').isVisible(), { timeout: 60_000 }).toBe(true);
    expect((await core.gallery.list({ offset: 0, limit: 1 })).items[0]?.meta?.modelId).toBe('night-owl-v3');
    await mainNav(page, 'Models').click();
    await card('Imported Night Owl v3').getByRole('button', { name: 'Dismiss: Imported Night Owl v3' }).click();
  }, 180_000);

  it('cancels an import while the file is arriving, and keeps nothing', async () => {
    await limitUpload(512 * 1024);
    await dropFile('Slow Owl.safetensors', checkpoint);
    const importing = card('Importing Slow Owl.safetensors');
    await poll(() => importing.locator('.models-progress-figures').textContent()).toMatch(/^Receiving the file: [\d.]+ (KB|MB) of/);
    await importing.getByRole('button', { name: 'Cancel import' }).click();
    const cancelled = card('Import of Slow Owl.safetensors cancelled');
    await poll(() => cancelled.isVisible(), { timeout: 30_000 }).toBe(true);
    await limitUpload(-1);
    expect(await cancelled.getByRole('status').textContent()).toBe('Nothing was kept.');
    await poll(hiddenLeftovers).toEqual([]);
    expect((await core.models.list()).some((model) => model.name.startsWith('Slow Owl'))).toBe(false);
    await cancelled.getByRole('button', { name: /^Dismiss/ }).click();
  }, 60_000);

  it('explains hostile and unknown files in an error card, from a drop or the file dialog, keeping nothing', async () => {
    await dropFile('model.safetensors', Buffer.concat([Buffer.from([0x80, 0x02, 0x7d, 0x71]), Buffer.alloc(2048)]));
    const pickle = card('Could not import model.safetensors');
    await poll(() => pickle.getByRole('alert').textContent()).toMatch(/^model\.safetensors is a PyTorch pickle, not a safetensors file/);

    await dropFile('old-model.ckpt', Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    await poll(() => card('Could not import old-model.ckpt').getByRole('alert').textContent()).toMatch(/^old-model\.ckpt is a PyTorch pickle/);

    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import checkpoint…' }).click();
    const unknown = safetensorsBytes({ 'encoder.layers.0.weight': f32([1, 2, 3, 4], [2, 2]) });
    await (await chooser).setFiles({ name: 'text-model.safetensors', mimeType: 'application/octet-stream', buffer: unknown });
    await poll(() => card('Could not import text-model.safetensors').getByRole('alert').textContent()).toMatch(
      /^text-model\.safetensors is not a Stable Diffusion checkpoint Easel can convert/,
    );

    const truncated = checkpoint.subarray(0, Math.floor(checkpoint.length / 2));
    await dropFile('half.safetensors', truncated);
    await poll(() => card('Could not import half.safetensors').getByRole('alert').textContent()).toMatch(
      /^half\.safetensors is not a valid safetensors file: it is cut short/,
    );

    await screenshotAtWindowSizes(page, 'checkpoint-import-refused');
    expect(await seriousAxeProblems(page)).toEqual([]);
    expect(await hiddenLeftovers()).toEqual([]);
    expect(pageProblems).toEqual([]);
  }, 60_000);
});
