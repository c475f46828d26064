import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a1111LoraHash } from '../../src-main/core/adapters/prompt-tags';
import type { Easel } from '../../src-main/core/easel';
import { addPngTextChunks } from '../../src-main/core/gallery/png-text';
import type { WebHost } from '../../src-main/hosts/web-server';
import { f32, safetensorsBytes } from '../fixtures/safetensors';
import { repoRoot, startTestHost } from '../helpers/web-host';
import { buildLayers } from '../unit/adapters/lora-fixtures';
import { launchChromium, screenshot } from './browser';
import { closeApp, dropFiles, mainNav, poll, screenshotAtWindowSizes, watchPageProblems } from './page-kit';

const PROMPT = 'a red circle on a blue background';

/**
 * A tiny LoRA for the built-in demo: a convolution and an attention projection of its first down block, in
 * kohya's names, with kohya's training tags.
 */
function demoLora(): Buffer {
  const { tensors } = buildLayers('demo-style', [
    { prefix: 'lora_unet_down1_conv1', format: 'kohya', rank: 2, inShape: [64, 3, 3], out: 64, alpha: 2, target: { initializer: '', layout: 'out_in' } },
    { prefix: 'lora_unet_attn_d1_proj_in', format: 'kohya', rank: 2, inShape: [64], out: 64, alpha: 2, target: { initializer: '', layout: 'in_out' } },
  ]);
  return safetensorsBytes(tensors, { ss_tag_frequency: JSON.stringify({ '10_bold': { 'bold outline': 20, 'flat colour': 8 } }) });
}

/** A LoRA that says it is for SDXL, and the LCM-LoRA for SD 1.5, by the names people download them under. */
function namedLora(metadata: Record<string, string>, contextWidth: number): Buffer {
  const prefix = 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k';
  return safetensorsBytes(
    {
      [`${prefix}.lora_down.weight`]: f32(new Float32Array(contextWidth), [1, contextWidth]),
      [`${prefix}.lora_up.weight`]: f32(new Float32Array(640), [640, 1]),
    },
    metadata,
  );
}

let dataDir: string;
let browser: Browser;
let core: Easel;
let web: WebHost;
let page: Page;
let pageProblems: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-loras-'));
  ({ easel: core, web } = await startTestHost(dataDir, path.join(repoRoot, 'dist', 'renderer')));
  // Copied into the folder by hand, as people do, with a preview picture beside it.
  const loras = (await core.info()).paths.loras;
  await mkdir(loras, { recursive: true });
  await writeFile(path.join(loras, 'xl-detail.safetensors'), namedLora({ ss_base_model_version: 'sdxl_base_v1-0' }, 2048));
  const preview = await sharp({ create: { width: 300, height: 400, channels: 3, background: '#c84' } }).png().toBuffer();
  await writeFile(path.join(loras, 'xl-detail.preview.png'), preview);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
  pageProblems = watchPageProblems(page, { consoleErrors: true });
  await page.goto(web.url);
});

afterAll(() => closeApp({ browser, web, core, dataDir }));

const form = () => page.getByRole('form', { name: 'Generation settings' });
const prompt = () => form().getByLabel('Prompt', { exact: true });

async function tokenCount(): Promise<string> {
  await poll(() => page.locator('#prompt-prompt-tokens').textContent()).toMatch(/tokens/);
  return (await page.locator('#prompt-prompt-tokens').textContent()) ?? '';
}

describe('LoRAs in the app, through the web host in Chromium', () => {
  it('installs a dropped LoRA, picks it, generates with it, shows it in the viewer and reuses it', async () => {
    await poll(() => form().getByLabel('Model', { exact: true }).inputValue()).toBe('easel-demo');
    await prompt().fill(PROMPT);
    const plainCount = await tokenCount();

    // Drop two LoRAs and a pickle on Generate: the LoRAs are installed, the pickle refused with the reason.
    const screen = page.locator('.generate-screen');
    await dropFiles(screen, [
      { name: 'demo-style.safetensors', bytes: demoLora(), type: '' },
      { name: 'lcm-lora-sdv1-5.safetensors', bytes: namedLora({}, 768), type: '' },
      { name: 'old-style.ckpt', bytes: Buffer.from('PK\x03\x04 a pickle'), type: '' },
    ]);
    const notice = page.getByRole('status').filter({ hasText: 'Installed demo-style (LoRA), lcm-lora-sdv1-5 (LoRA).' });
    await poll(() => notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toMatch(/old-style\.ckpt is a PyTorch pickle/);
    const demoHash = await a1111LoraHash(path.join((await core.info()).paths.loras, 'demo-style.safetensors'));

    // The picker: searchable, those made for the model first (the demo says nothing, so the SDXL one is last).
    await form().getByRole('button', { name: 'Add LoRA' }).click();
    const picker = form().getByRole('group', { name: 'Pick a LoRA' });
    const applied = form().getByRole('list', { name: 'LoRAs in the prompt' });
    const names = () => picker.getByRole('list', { name: 'LoRAs' }).locator('.adapter-name').allTextContents();
    await poll(names).toEqual(['demo-style', 'lcm-lora-sdv1-5', 'xl-detail']);
    expect(await picker.getByText('made for SDXL').isVisible()).toBe(true);
    expect(await picker.locator('img.adapter-preview').count()).toBe(1);
    await screenshotAtWindowSizes(page, 'lora-picker');

    await picker.getByRole('searchbox', { name: 'Search LoRAs and embeddings' }).fill('bold');
    await poll(names).toEqual(['demo-style']);
    await picker.getByRole('slider', { name: 'Weight of the LoRA to add' }).fill('0.8');
    await picker.getByRole('button', { name: 'Add demo-style' }).click();
    expect(await prompt().inputValue()).toBe(`${PROMPT} <lora:demo-style:0.8>`);
    // The tag costs no tokens.
    await poll(tokenCount).toBe(plainCount);

    // The LCM-LoRA is announced; the demo cannot use the LCM scheduler, and says so. Taken out again.
    await picker.getByRole('searchbox', { name: 'Search LoRAs and embeddings' }).fill('lcm');
    await picker.getByRole('button', { name: 'Add lcm-lora-sdv1-5' }).click();
    const lcmNote = form().getByRole('note');
    await poll(() => lcmNote.textContent()).toMatch(/^LCM-LoRA applied\. Easel Demo \(built-in\) cannot use the LCM scheduler/);
    expect(await applied.getByText('Made for SD 1.x: it does not fit Easel Demo (built-in)').count()).toBe(1);
    await screenshotAtWindowSizes(page, 'lora-applied');
    await form().getByRole('button', { name: 'Take lcm-lora-sdv1-5 out of the prompt' }).click();
    await poll(() => lcmNote.count()).toBe(0);
    await form().getByRole('button', { name: 'Close' }).click();

    // Each LoRA in the prompt has its weight and trigger words one click away.
    expect(await applied.getByRole('slider', { name: 'Weight of demo-style' }).inputValue()).toBe('0.8');
    await applied.getByRole('button', { name: '+ bold outline' }).click();
    expect(await prompt().inputValue()).toBe(`${PROMPT}, bold outline <lora:demo-style:0.8>`);

    // Generate with it: the image records the LoRA, its weight and A1111's hash.
    await form().getByLabel('Steps', { exact: true }).fill('4');
    await form().getByLabel('Steps', { exact: true }).press('Tab');
    await form().getByRole('button', { name: /^Generate/ }).click();
    await poll(async () => (await core.gallery.list({})).total, { timeout: 60_000 }).toBe(1);
    const [item] = (await core.gallery.list({})).items;
    expect(item?.meta.loras).toEqual([{ name: 'demo-style', scale: 0.8, hash: demoHash }]);
    expect(item?.meta.placeholder).toBe(false);

    // The viewer lists it; "Use these settings" brings the tag back.
    await mainNav(page, 'Gallery').click();
    const cells = page.getByRole('list', { name: 'Images, newest first' }).getByRole('button', { name: /^Open image/ });
    await cells.first().click();
    const viewer = page.getByRole('dialog', { name: 'Image viewer' });
    await poll(() => viewer.getByRole('list', { name: 'LoRAs used' }).textContent()).toBe('demo-style at 0.8');
    await screenshot(page, 'lora-viewer');
    await page.keyboard.press('Escape');
    await mainNav(page, 'Generate').click();
    await prompt().fill('');
    await mainNav(page, 'Gallery').click();
    await cells.first().click();
    await viewer.getByRole('button', { name: 'Use these settings' }).click();
    await poll(() => prompt().inputValue()).toBe(`${PROMPT}, bold outline <lora:demo-style:0.8>`);
    expect(await applied.getByRole('slider', { name: 'Weight of demo-style' }).inputValue()).toBe('0.8');

    // An A1111 picture naming the same file by another name finds it by hash.
    const parameters = [
      `${PROMPT} <lora:DemoStyle_v1:0.6> <lora:add_detail:0.5>`,
      `Steps: 6, Sampler: Euler a, CFG scale: 5, Seed: 42, Size: 64x64, Model: easel-demo, Lora hashes: "DemoStyle_v1: ${demoHash}, add_detail: 7c6bad76eb54", Version: v1.10.1`,
    ].join('\n');
    const plain = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#248' } }).png().toBuffer();
    await dropFiles(page.locator('.generate-screen'), [{ name: 'a1111.png', bytes: addPngTextChunks(plain, { parameters }), type: 'image/png' }]);
    await poll(() => prompt().inputValue()).toBe(`${PROMPT} <lora:demo-style:0.6> <lora:add_detail:0.5>`);
    expect(await page.getByRole('status').filter({ hasText: 'the LoRA add_detail is not installed' }).isVisible()).toBe(true);
    expect(await applied.getByText('Not installed').count()).toBe(1);
    expect(pageProblems).toEqual([]);
  });
});
