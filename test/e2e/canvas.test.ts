import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../src-main/core/easel';
import type { WebHost } from '../../src-main/hosts/web-server';
import type { GalleryItem } from '../../src-preload/api';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { seriousAxeProblems } from './axe';
import { launchChromium, screenshot } from './browser';
import { closeApp, mainNav, poll, screenshotAtWindowSizes, windowSizes, watchPageProblems } from './page-kit';

let dataDir: string;
let browser: Browser;
let core: Easel;
let web: WebHost;
let page: Page;
let pageProblems: string[] = [];

/** The core's Gaussian for mask blur 4 reaches trunc(2.5·4 + 0.5) = 10 pixels: past that the paste keeps the original. */
const BLUR_REACH = 10;

beforeAll(async () => {
  // One data folder for the file: the second test goes on with the picture the first left on the canvas.
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-canvas-'));
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: windowSizes[0], colorScheme: 'dark' });
  pageProblems = watchPageProblems(page, { consoleErrors: true });
  await page.goto(web.url);
});

afterAll(() => closeApp({ browser, web, core, dataDir }));

async function galleryItems(): Promise<GalleryItem[]> {
  return (await core.gallery.list({ offset: 0, limit: 50 })).items;
}

/** The newest gallery image once there are `count`. */
async function waitForImages(count: number): Promise<GalleryItem> {
  await poll(async () => (await galleryItems()).length, { timeout: 60_000 }).toBe(count);
  return (await galleryItems())[0]!;
}

async function pixels(item: GalleryItem): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp((await core.gallery.file(item.id)).bytes)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The painted mask as the page holds it: one alpha value per picture pixel. */
function maskAlpha(): Promise<number[]> {
  return page.getByTestId('mask').evaluate((element) => {
    const canvas = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    return Array.from({ length: data.length / 4 }, (_, index) => data[index * 4 + 3]!);
  });
}

const nav = (label: string) => mainNav(page, label);
const editForm = () => page.getByRole('form', { name: 'Edit settings' });

async function setNumber(label: string, value: number): Promise<void> {
  const input = editForm().getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.press('Tab');
}

describe('the canvas in Chromium through the web host', () => {
  it('inpaints a painted mask keeping every other pixel, outpaints, upscales, finds all three in the gallery, and hires-fixes a result', async () => {
    // Before any picture, the canvas says how to bring one.
    await nav('Canvas').click();
    await poll(() => page.getByRole('heading', { name: 'Nothing on the canvas yet' }).isVisible()).toBe(true);
    await screenshot(page, 'canvas-empty');
    expect(await seriousAxeProblems(page)).toEqual([]);
    await nav('Generate').click();
    const generateForm = page.getByRole('form', { name: 'Generation settings' });
    await poll(() => generateForm.getByLabel('Model', { exact: true }).inputValue()).toBe('easel-demo');
    await generateForm.getByLabel('Prompt', { exact: true }).fill('a yellow star on a purple background');
    // Hires fix offers its scale and strength, with the size it will redraw at.
    await generateForm.getByRole('checkbox', { name: 'Hires fix' }).check();
    await poll(() => generateForm.getByText('Redrawn at 128×128.').isVisible()).toBe(true);
    await generateForm.getByText('Redrawn at 128×128.').scrollIntoViewIfNeeded();
    await screenshot(page, 'generate-hires-fix');
    await generateForm.getByRole('checkbox', { name: 'Hires fix' }).uncheck();
    await generateForm.getByRole('button', { name: /^Generate/ }).click();
    const original = await waitForImages(1);

    // The result goes to the canvas; a stroke across the middle is the mask.
    await page.getByRole('group', { name: 'Send to' }).getByRole('button', { name: 'Canvas' }).click();
    const mask = page.getByTestId('mask');
    await poll(() => mask.isVisible()).toBe(true);
    await setNumber('Brush size', 10);
    await setNumber('Hardness', 1);
    await editForm().getByLabel('Prompt', { exact: true }).fill('a red circle on a purple background');
    const box = (await mask.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.45);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.55, { steps: 12 });
    await page.mouse.up();
    // Undo takes the stroke back, redo returns it.
    await page.getByRole('button', { name: 'Undo' }).click();
    expect((await maskAlpha()).some((alpha) => alpha > 0)).toBe(false);
    await page.keyboard.press('Control+Shift+Z');
    const alpha = await maskAlpha();
    expect(alpha.filter((value) => value > 0).length).toBeGreaterThan(100);
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await screenshotAtWindowSizes(page, 'canvas-mask');
    expect(await seriousAxeProblems(page)).toEqual([]);

    await editForm().getByRole('button', { name: /^Repaint/ }).click();
    const inpainted = await waitForImages(2);
    expect(inpainted.meta).toMatchObject({ sourceImage: original.id, maskBlur: 4, inpaintArea: 'whole', width: 64, height: 64 });

    // Away from the mask and its blur, the paste kept the original pixel for pixel.
    const before = await pixels(original);
    const after = await pixels(inpainted);
    expect([after.width, after.height]).toEqual([64, 64]);
    const near = (x: number, y: number) => {
      for (let dy = -BLUR_REACH - 1; dy <= BLUR_REACH + 1; dy += 1) {
        for (let dx = -BLUR_REACH - 1; dx <= BLUR_REACH + 1; dx += 1) {
          const [mx, my] = [x + dx, y + dy];
          if (mx >= 0 && my >= 0 && mx < 64 && my < 64 && alpha[my * 64 + mx]! > 0) return true;
        }
      }
      return false;
    };
    let kept = 0;
    let changedInside = 0;
    for (let y = 0; y < 64; y += 1) {
      for (let x = 0; x < 64; x += 1) {
        const offset = (y * 64 + x) * 3;
        const same = before.data.subarray(offset, offset + 3).equals(after.data.subarray(offset, offset + 3));
        if (!near(x, y)) {
          expect(same, `pixel ${x},${y} is outside the mask`).toBe(true);
          kept += 1;
        } else if (alpha[y * 64 + x]! >= 128 && !same) changedInside += 1;
      }
    }
    expect(kept).toBeGreaterThan(500);
    expect(changedInside).toBeGreaterThan(0);

    // The inpainted picture is extended on the right by one handle press.
    await page.getByRole('group', { name: 'Send to' }).getByRole('button', { name: 'Canvas' }).click();
    await poll(() => mask.isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Extend right by 64 pixels' }).click();
    expect(await editForm().getByLabel('Right', { exact: true }).inputValue()).toBe('64');
    await page.setViewportSize(windowSizes[1]);
    await screenshot(page, 'canvas-outpaint-900x700');
    await page.keyboard.press('Control+Enter');
    const outpainted = await waitForImages(3);
    expect(outpainted.meta).toMatchObject({ sourceImage: inpainted.id, outpaint: { left: 0, top: 0, right: 64, bottom: 0 } });
    expect([outpainted.width, outpainted.height]).toEqual([128, 64]);

    // The gallery viewer upscales it, with per-tile progress on Generate.
    await page.setViewportSize(windowSizes[0]);
    await nav('Gallery').click();
    const cells = page.getByRole('list', { name: 'Images, newest first' }).getByRole('button', { name: /^Open image/ });
    await poll(() => cells.count()).toBe(3);
    await cells.first().click();
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    await poll(() => viewer.getByText('Made from').isVisible()).toBe(true);
    await poll(() => viewer.locator('.viewer-image img').isVisible()).toBe(true);
    await screenshot(page, 'canvas-result-in-viewer');
    await viewer.getByRole('button', { name: 'Upscale 2×' }).click();
    const upscaled = await waitForImages(4);
    expect(upscaled.meta).toMatchObject({ sourceImage: outpainted.id, upscale: { scale: 2 } });
    expect([upscaled.width, upscaled.height]).toEqual([256, 128]);
    await poll(() => page.getByRole('region', { name: 'Queue' }).getByText('Upscale', { exact: true }).isVisible()).toBe(true);
    await screenshot(page, 'canvas-upscaled-queue');

    await nav('Gallery').click();
    await poll(() => cells.count()).toBe(4);

    // Hires fix of the first picture: its seed again, made larger and redrawn.
    await nav('Generate').click();
    await page.getByRole('region', { name: 'Queue' }).getByRole('button', { name: /Generate a yellow star/ }).click();
    await page.getByRole('group', { name: 'Send to' }).getByRole('button', { name: 'Hires fix' }).click();
    const hires = await waitForImages(5);
    expect(hires.meta).toMatchObject({ seed: original.meta.seed, hiresScale: 2, width: 64, height: 64 });
    expect([hires.width, hires.height]).toEqual([128, 128]);
    expect(pageProblems).toEqual([]);
  });

  it('paints with a pen, zooms with a two-finger pinch that leaves the mask alone, and keeps the mask across screens', async () => {
    await nav('Canvas').click();
    const mask = page.getByTestId('mask');
    await poll(() => mask.isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await poll(async () => (await maskAlpha()).some((alpha) => alpha > 0)).toBe(false);
    const box = (await mask.boundingBox())!;
    const at = (fx: number, fy: number) => ({ x: box.x + box.width * fx, y: box.y + box.height * fy });
    // Real input through the browser's input pipeline, as a tablet and a touch screen send it.
    const cdp = await page.context().newCDPSession(page);
    const pen = (type: 'mousePressed' | 'mouseMoved' | 'mouseReleased', point: { x: number; y: number }, pressure: number) =>
      cdp.send('Input.dispatchMouseEvent', { type, ...point, button: 'left', buttons: type === 'mouseReleased' ? 0 : 1, clickCount: 1, pointerType: 'pen', force: pressure });
    await pen('mousePressed', at(0.2, 0.5), 0.5);
    for (const fx of [0.25, 0.3, 0.35, 0.4]) await pen('mouseMoved', at(fx, 0.5), 0.5);
    await pen('mouseReleased', at(0.4, 0.5), 0);
    const painted = await maskAlpha();
    expect(painted.filter((alpha) => alpha > 0).length).toBeGreaterThan(20);

    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    const zoom = page.getByRole('status', { name: 'Zoom' });
    const zoomBefore = Number.parseInt((await zoom.textContent()) ?? '', 10);
    const fingers = (spread: number) => [
      { ...at(0.5 - spread, 0.3), id: 1 },
      { ...at(0.5 + spread, 0.3), id: 2 },
    ];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(0.05) });
    for (const spread of [0.1, 0.15, 0.2]) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(spread) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await poll(async () => Number.parseInt((await zoom.textContent()) ?? '', 10)).toBeGreaterThan(zoomBefore * 2);
    expect(await maskAlpha()).toEqual(painted);

    // The mask outlives a look at another screen.
    await nav('Generate').click();
    await nav('Canvas').click();
    await poll(() => mask.isVisible()).toBe(true);
    expect(await maskAlpha()).toEqual(painted);

    // I inverts the mask; undo brings the painted one back.
    await page.keyboard.press('i');
    expect(await maskAlpha()).toEqual(painted.map((alpha) => 255 - alpha));
    await page.keyboard.press('Control+z');
    expect(await maskAlpha()).toEqual(painted);
    expect(pageProblems).toEqual([]);
  });
});
