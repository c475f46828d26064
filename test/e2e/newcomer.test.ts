import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import type { WebHost } from '../../src-main/hosts/web-server';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { seriousAxeProblems } from './axe';
import { launchChromium, screenshot } from './browser';
import { closeApp, mainNav, poll, watchPageProblems } from './page-kit';

/**
 * A newcomer's session with nothing downloaded: the built-in demo, three window sizes from 1280×800 down to
 * 800×600, keyboard only where it matters, and axe-core on every screen in both themes.
 */

/** What the tests read from the page (the Node-side tsconfig has no DOM types). */
interface PageGlobals {
  document: {
    activeElement: { id: string; tagName: string; textContent: string | null; closest(selector: string): unknown } | null;
    scrollingElement: { scrollWidth: number; clientWidth: number } | null;
  };
  innerWidth: number;
  DataTransfer: new () => unknown;
  getComputedStyle(element: unknown): { lineHeight: string; imageRendering: string };
}

const sizes = [
  { width: 1280, height: 800 },
  { width: 900, height: 700 },
  { width: 800, height: 600 },
] as const;

let dataDir: string;
let browser: Browser;
let core: Easel;
let web: WebHost;
let page: Page;
let pageProblems: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-newcomer-'));
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: sizes[0], colorScheme: 'dark' });
  pageProblems = watchPageProblems(page);
  await page.goto(web.url);
});

afterAll(() => closeApp({ browser, web, core, dataDir }));

const nav = (label: string) => mainNav(page, label);
const form = () => page.getByRole('form', { name: 'Generation settings' });
const prompt = () => form().getByLabel('Prompt', { exact: true });

/** axe on the page as it is, in both themes; the theme goes back to dark after. */
async function expectAccessible(where: string): Promise<void> {
  for (const theme of ['dark', 'light'] as const) {
    await core.settings.update({ theme });
    await poll(() => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document.documentElement.dataset.theme)).toBe(theme);
    expect(await seriousAxeProblems(page), `${where}, ${theme} theme`).toEqual([]);
  }
  await core.settings.update({ theme: 'dark' });
}

/** Nothing scrolls sideways: every screen fits the window's width. */
async function expectNoSidewaysScroll(): Promise<void> {
  const overflow = await page.evaluate(() => {
    const element = (globalThis as unknown as PageGlobals).document.scrollingElement;
    return element ? element.scrollWidth - element.clientWidth : 0;
  });
  expect(overflow).toBeLessThanOrEqual(0);
}

/** The element's bottom edge is inside the window (above the fold). */
async function bottomOf(selector: ReturnType<Page['locator']>): Promise<number> {
  const box = await selector.boundingBox();
  return box ? box.y + box.height : Number.POSITIVE_INFINITY;
}

describe('a newcomer with only the built-in demo', () => {
  it('is told what the demo draws where the prompt is typed, with examples one click away', async () => {
    await poll(() => form().getByLabel('Model', { exact: true }).inputValue()).toBe('easel-demo');
    expect(await prompt().getAttribute('placeholder')).toBe('a red circle on a blue background');
    const abilities = page.getByRole('region', { name: 'What Easel Demo (built-in) can draw' });
    expect(await abilities.textContent()).toContain('circle, square, triangle or star');
    expect(await abilities.textContent()).toContain('red, green, blue, yellow, orange, purple, white, black');
    await abilities.getByRole('button', { name: 'a yellow star on a purple background' }).click();
    expect(await prompt().inputValue()).toBe('a yellow star on a purple background');
    // The prompt's description includes what the model can do, for screen readers too.
    expect(await prompt().getAttribute('aria-describedby')).toContain('model-abilities-summary');

    // A real model is one click away.
    await abilities.getByRole('button', { name: 'download one on the Models screen' }).click();
    await poll(() => page.getByRole('heading', { level: 1, name: 'Models' }).isVisible()).toBe(true);
    await nav('Generate').click();
    await poll(() => prompt().inputValue()).toBe('a yellow star on a purple background');
  });

  it('keeps the draft across a reload, and a skip link reaches the prompt in one Tab', async () => {
    await prompt().fill('a white triangle on a black background');
    await form().getByLabel('Steps', { exact: true }).fill('12');
    await form().getByLabel('Steps', { exact: true }).press('Tab');
    await page.reload();
    await poll(() => prompt().inputValue()).toBe('a white triangle on a black background');
    expect(await form().getByLabel('Steps', { exact: true }).inputValue()).toBe('12');

    expect(await page.getByRole('heading', { level: 1, name: 'Generate' }).count()).toBe(1);
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to the prompt' });
    await poll(() => skip.evaluate((element) => element === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    await screenshot(page, 'newcomer-skip-link');
    await page.keyboard.press('Enter');
    await poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe('prompt-prompt');
  });

  it('fits Generate from 1280×800 down to 800×600, with a collapsible sidebar, and passes axe', async () => {
    for (const size of sizes) {
      await page.setViewportSize(size);
      await poll(() => form().isVisible()).toBe(true);
      await expectNoSidewaysScroll();
      expect(await bottomOf(form().getByRole('button', { name: /^Generate/ }))).toBeLessThanOrEqual(size.height);
      const sidebar = page.getByRole('navigation', { name: 'Main' });
      const collapsed = size.width < 1100;
      expect(await sidebar.evaluate((element) => element.classList.contains('collapsed'))).toBe(collapsed);
      // Collapsed, the menu keeps its names for screen readers and tooltips.
      expect(await nav('Gallery').isVisible()).toBe(true);
      await screenshot(page, `newcomer-generate-${size.width}x${size.height}`);
    }
    // The toggle opens the labels at 800×600 too, and closes them again.
    await page.getByRole('button', { name: 'Show menu labels' }).click();
    expect(await page.getByRole('navigation', { name: 'Main' }).evaluate((element) => element.classList.contains('collapsed'))).toBe(false);
    await screenshot(page, 'newcomer-generate-800x600-sidebar-open');
    await page.getByRole('button', { name: 'Hide menu labels' }).click();
    await page.setViewportSize(sizes[0]);
    await expectAccessible('Generate');
  });

  it('generates with the demo at 900×700: pixelated result, a two-line progress, a queue that keeps its prompts', async () => {
    await page.setViewportSize(sizes[1]);
    await prompt().fill('a red circle on a blue background');
    await form().getByLabel('Steps', { exact: true }).fill('200');
    await form().getByLabel('Steps', { exact: true }).press('Tab');
    await page.keyboard.press('Control+Enter');
    const status = page.getByLabel('Generation progress').locator('.progress-status');
    await poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/^Step \d+ of 200/);
    // The progress line stays on at most two lines.
    const lineHeight = await status.evaluate((element) => parseFloat((globalThis as unknown as PageGlobals).getComputedStyle(element).lineHeight));
    expect((await status.boundingBox())?.height ?? 0).toBeLessThanOrEqual(lineHeight * 2 + 2);
    await screenshot(page, 'newcomer-generate-running-900x700');
    await page.getByLabel('Generation progress').getByRole('button', { name: 'Cancel' }).click();
    await poll(() => page.getByRole('heading', { name: 'Cancelled' }).isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByText(/Stopped at step \d+ of 200\. Nothing was saved: an image is saved only when all its steps are done\./).isVisible()).toBe(true);

    await form().getByLabel('Steps', { exact: true }).fill('20');
    await form().getByLabel('Steps', { exact: true }).press('Tab');
    await form().getByLabel('Batch count', { exact: true }).fill('3');
    await form().getByLabel('Batch count', { exact: true }).press('Tab');
    await page.keyboard.press('Control+Enter');
    const result = page.locator('img.result-image');
    await poll(() => result.isVisible(), { timeout: 60_000 }).toBe(true);
    await poll(() => core.gallery.list({}).then((list) => list.total), { timeout: 60_000 }).toBe(3);
    // 64×64 shown large: sharp pixels, not a blur.
    expect(await result.evaluate((element) => (globalThis as unknown as PageGlobals).getComputedStyle(element).imageRendering)).toBe('pixelated');
    const queue = page.getByRole('region', { name: 'Queue' });
    for (const row of await queue.locator('.job-prompt').all()) {
      expect((await row.boundingBox())?.width ?? 0).toBeGreaterThan(100);
    }
    expect(await queue.getByText('3 images · 64×64 · 20 steps').isVisible()).toBe(true);
    await screenshot(page, 'newcomer-generate-done-900x700');
    await page.setViewportSize(sizes[2]);
    await screenshot(page, 'newcomer-generate-done-800x600');
    await queue.getByRole('button', { name: 'Clear finished' }).click();
    await poll(() => queue.count()).toBe(0);
    await poll(() => core.jobs.list().length).toBe(0);
  });

  it('browses the gallery by keyboard, keeps Tab inside the viewer, and goes from an image to img2img', async () => {
    await page.setViewportSize(sizes[1]);
    await nav('Gallery').click();
    await poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('3 images');
    const cells = page.getByRole('list', { name: /^Images, newest first/ }).getByRole('button', { name: /^Open image/ });
    await poll(() => cells.count()).toBe(3);
    // One Tab stop for the grid; the arrow keys move inside it.
    expect(await page.locator('.gallery-cell[tabindex="0"]').count()).toBe(1);
    await cells.first().focus();
    await page.keyboard.press('ArrowRight');
    await poll(() => cells.nth(1).evaluate((element) => element === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    expect(await cells.nth(1).getAttribute('tabindex')).toBe('0');
    expect(await cells.first().getAttribute('tabindex')).toBe('-1');
    await page.keyboard.press('End');
    await poll(() => cells.nth(2).evaluate((element) => element === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    await page.keyboard.press('Home');
    await poll(() => cells.first().evaluate((element) => element === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    await screenshot(page, 'newcomer-gallery-900x700');
    await expectAccessible('Gallery');

    await page.keyboard.press('Enter');
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    await poll(() => viewer.locator('.viewer-image img').isVisible()).toBe(true);
    expect(await viewer.locator('.viewer-image img').evaluate((element) => (globalThis as unknown as PageGlobals).getComputedStyle(element).imageRendering)).toBe('pixelated');
    expect(await viewer.getByText('DDIM', { exact: true }).isVisible()).toBe(true);
    for (let press = 0; press < 20; press++) {
      await page.keyboard.press(press % 5 === 4 ? 'Shift+Tab' : 'Tab');
      expect(await page.evaluate(() => Boolean((globalThis as unknown as PageGlobals).document.activeElement?.closest('[role="dialog"]')))).toBe(true);
    }
    for (const size of sizes) {
      await page.setViewportSize(size);
      for (const action of ['Use these settings', 'Use as starting image', 'Delete']) {
        expect(await bottomOf(viewer.getByRole('button', { name: action })), `${action} at ${size.width}×${size.height}`).toBeLessThanOrEqual(size.height);
      }
      await screenshot(page, `newcomer-viewer-${size.width}x${size.height}`);
    }
    await expectAccessible('the viewer');

    await viewer.getByRole('button', { name: 'Use as starting image' }).click();
    await poll(() => form().getByRole('img', { name: 'The image to start from' }).isVisible()).toBe(true);
    expect(await page.getByRole('status').textContent()).toContain('is now the image to start from');
    await form().getByRole('button', { name: 'Remove the starting image' }).click();

    // "Use these settings": the seed is kept and the person is told, and the old result leaves the canvas.
    await nav('Gallery').click();
    await cells.nth(1).click();
    await viewer.getByRole('button', { name: 'Use these settings' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'Loaded the settings' });
    await poll(() => notice.textContent()).toMatch(/Its seed \d+ is locked, so Generate draws the same picture again/);
    expect(await page.getByRole('heading', { name: 'Your images appear here' }).isVisible()).toBe(true);
    await screenshot(page, 'newcomer-use-settings-800x600');
    expect(await form().getByRole('button', { name: 'Keep this seed' }).getAttribute('aria-pressed')).toBe('true');
    await notice.getByRole('button', { name: 'Use a random seed' }).click();
    expect(await form().getByRole('button', { name: 'Keep this seed' }).getAttribute('aria-pressed')).toBe('false');

    // A gallery cell dragged over Generate in the menu opens it, and dropped there becomes the starting image.
    await nav('Gallery').click();
    await poll(() => cells.count()).toBe(3);
    const transfer = await page.evaluateHandle(() => new (globalThis as unknown as PageGlobals).DataTransfer());
    await cells.first().dispatchEvent('dragstart', { dataTransfer: transfer });
    await nav('Generate').dispatchEvent('dragover', { dataTransfer: transfer });
    await poll(() => form().isVisible()).toBe(true);
    await page.locator('.generate-screen').dispatchEvent('dragover', { dataTransfer: transfer });
    await page.locator('.generate-screen').dispatchEvent('drop', { dataTransfer: transfer });
    await poll(() => form().getByRole('img', { name: 'The image to start from' }).isVisible()).toBe(true);
    await page.setViewportSize(sizes[1]);
    await screenshot(page, 'newcomer-dropped-from-gallery-900x700');
  });

  it('fits Models and Settings from 1280×800 down to 800×600, and passes axe', async () => {
    for (const screen of ['Models', 'Settings']) {
      await nav(screen).click();
      await poll(() => page.getByRole('heading', { level: 1, name: screen }).isVisible()).toBe(true);
      for (const size of sizes) {
        await page.setViewportSize(size);
        await expectNoSidewaysScroll();
        await screenshot(page, `newcomer-${screen.toLowerCase()}-${size.width}x${size.height}`);
      }
      await expectAccessible(screen);
    }
    expect(pageProblems).toEqual([]);
  });
});
