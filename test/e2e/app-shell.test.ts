import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebHost } from '../../src-main/hosts/web-server';
import type { EaselApi } from '../../src-preload/api';
import { useTempDirs } from '../helpers/temp';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { launchChromium, screenshot } from './browser';

/** What the tests read from the page's global scope. */
interface PageGlobals {
  easel?: EaselApi;
  require?: unknown;
  process?: unknown;
  module?: unknown;
  document: { documentElement: { dataset: Record<string, string | undefined> } };
}

const tempDir = useTempDirs();
let browser: Browser;
let web: WebHost;
let dataDir: string;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('the app shell in Chromium through the web host', () => {
  it('loads the UI, exposes window.easel and nothing of Node, and persists a setting', async () => {
    dataDir = await tempDir();
    ({ web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    try {
      await page.goto(web.url);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await expect.poll(() => nav.isVisible()).toBe(true);
      for (const label of ['Generate', 'Gallery', 'Models', 'Settings']) {
        expect(await nav.getByRole('button', { name: label, exact: true }).isVisible()).toBe(true);
      }
      // The token leaves the address bar once the page has it.
      expect(page.url()).not.toContain('token=');

      // This runs in the page; the Node-side tsconfig has no DOM types, hence the narrow casts.
      const globals = await page.evaluate(async () => {
        const page = globalThis as unknown as PageGlobals;
        const info = await page.easel?.app.info();
        return { info, require: typeof page.require, process: typeof page.process, module: typeof page.module };
      });
      expect(globals.info).toMatchObject({ ok: true, value: { name: 'Easel', host: 'web' } });
      expect(globals).toMatchObject({ require: 'undefined', process: 'undefined', module: 'undefined' });
      await screenshot(page, 'app-shell-generate');

      await nav.getByRole('button', { name: 'Settings', exact: true }).click();
      await page.getByLabel('Theme').selectOption('light');
      await expect.poll(async () => JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')).theme).toBe('light');
      await expect
        .poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme))
        .toBe('light');

      // The access token can be set and removed, and never comes back to the page.
      await page.getByLabel(/Hugging Face access token/).fill('hf_secret_token');
      await page.getByRole('button', { name: 'Save' }).last().click();
      await expect.poll(async () => JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')).hubToken).toBe('hf_secret_token');
      await expect.poll(() => page.getByLabel(/Hugging Face access token \(set\)/).count()).toBe(1);
      expect(await page.content()).not.toContain('hf_secret_token');
      await screenshot(page, 'app-shell-settings-light');
      await page.getByRole('button', { name: 'Remove' }).click();
      await expect.poll(async () => JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')).hubToken).toBe('');

      await page.reload();
      await nav.getByRole('button', { name: 'Settings', exact: true }).click();
      expect(await page.getByLabel('Theme').inputValue()).toBe('light');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await web.close();
    }
  });

  it('tells a person who opened the address without its token how to open Easel', async () => {
    ({ web } = await startTestHost(await tempDir(), path.join(repoRoot, 'dist', 'renderer')));
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 900, height: 700 },
    ]) {
      const page = await browser.newPage({ viewport });
      try {
        const address = new URL(web.url);
        address.search = '';
        await page.goto(address.toString());
        await expect.poll(() => page.getByRole('heading', { name: 'Open Easel from the address it printed' }).isVisible()).toBe(true);
        expect(await page.getByText('npm run serve').isVisible()).toBe(true);
        expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
        await screenshot(page, `app-shell-no-token-${viewport.width}`);
      } finally {
        await page.close();
      }
    }
    await web.close();
  });
});
