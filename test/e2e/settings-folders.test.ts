import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebHost } from '../../src-main/hosts/web-server';
import { useTempDirs } from '../helpers/temp';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { launchChromium, screenshot } from './browser';

const tempDir = useTempDirs();
let browser: Browser;
let web: WebHost | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await web?.close();
  await browser?.close();
});

describe('choosing folders in Chromium through the web host', () => {
  it('refuses a folder holding someone else’s files and says why, then takes an empty one after confirmation', async () => {
    const dataDir = await tempDir();
    ({ web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
    const occupied = path.join(dataDir, 'Documents');
    await mkdir(occupied);
    await writeFile(path.join(occupied, 'tax-return.pdf'), 'private');
    const empty = path.join(dataDir, 'New gallery');
    await mkdir(empty);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(web.url);
      // Reloading after the token left the address bar still works: it lives in sessionStorage, not a cookie.
      await expect.poll(() => page.url()).not.toContain('token=');
      await page.reload();
      const nav = page.getByRole('navigation', { name: 'Main' });
      await expect.poll(() => nav.isVisible()).toBe(true);
      expect(await page.context().cookies()).toEqual([]);

      await nav.getByRole('button', { name: 'Settings', exact: true }).click();
      const field = page.getByLabel('Gallery folder');
      await field.fill(occupied);
      await page.getByRole('button', { name: 'Change' }).first().click();
      const confirm = page.getByRole('alertdialog', { name: 'Confirm the gallery folder' });
      await expect.poll(() => confirm.isVisible()).toBe(true);
      await confirm.getByRole('button', { name: 'Use this folder' }).click();
      const refusal = page.getByRole('alert');
      await expect.poll(() => refusal.textContent()).toContain('already holds files that are not Easel');
      await screenshot(page, 'settings-folder-refused');
      const settings = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8'));
      expect(settings.galleryDir).toBeNull();

      await field.fill(empty);
      await page.getByRole('button', { name: 'Change' }).first().click();
      await confirm.getByRole('button', { name: 'Use this folder' }).click();
      await expect.poll(async () => JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')).galleryDir).toBe(empty);
      await expect.poll(() => page.getByRole('alert').count()).toBe(0);
      expect(await page.locator('code', { hasText: empty }).count()).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  });
});
