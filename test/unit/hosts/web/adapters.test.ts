import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { a1111LoraHash } from '../../../../src-main/core/adapters/prompt-tags';
import type { Easel } from '../../../../src-main/core/easel';
import { addPngTextChunks } from '../../../../src-main/core/gallery/png-text';
import { MAX_ADAPTER_BODY_BYTES } from '../../../../src-main/hosts/web/calls';
import type { WebHost } from '../../../../src-main/hosts/web-server';
import type { AdapterList, AdapterSummary, AppInfo, ImportedParameters, PublicSettings, Result } from '../../../../src-preload/api';
import { f32, safetensorsBytes } from '../../../fixtures/safetensors';
import { call } from '../../../helpers/raw-http';
import { useTempDirs } from '../../../helpers/temp';
import { startTestHost } from '../../../helpers/web-host';

const tempDir = useTempDirs();
let opened: { easel: Easel; web: WebHost } | undefined;
afterEach(async () => {
  await opened?.web.close();
  await opened?.easel.shutdown();
  opened = undefined;
});

async function start(): Promise<{ easel: Easel; web: WebHost; dataDir: string }> {
  const dataDir = await tempDir();
  const staticDir = path.join(dataDir, 'static');
  await mkdir(staticDir, { recursive: true });
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Easel</title>');
  opened = await startTestHost(dataDir, staticDir);
  return { ...opened, dataDir };
}

async function value<T>(host: WebHost, channel: string, body: unknown): Promise<T> {
  const reply = JSON.parse((await call(host, channel, body)).body) as Result<T>;
  if (!reply.ok) throw new Error(`${channel}: ${reply.error.message}`);
  return reply.value;
}

async function refusal(host: WebHost, channel: string, body: unknown): Promise<{ code: string; message: string }> {
  const reply = JSON.parse((await call(host, channel, body)).body) as Result<unknown>;
  if (reply.ok) throw new Error(`${channel} was accepted`);
  return reply.error;
}

/** A kohya SD 1.5 LoRA on one cross-attention layer (768-wide text), with kohya's training tags. */
const styleLora = safetensorsBytes(
  {
    'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight': f32(new Float32Array(2 * 768).fill(0.01), [2, 768]),
    'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_up.weight': f32(new Float32Array(320 * 2).fill(0.01), [320, 2]),
  },
  { ss_tag_frequency: JSON.stringify({ '10_ink': { 'ink wash': 30, 'brush strokes': 12 } }) },
);
/** An SDXL embedding: one vector for each text encoder. */
const sdxlEmbedding = safetensorsBytes({ clip_l: f32(new Float32Array(768), [1, 768]), clip_g: f32(new Float32Array(1280), [1, 1280]) });

const upload = (fileName: string, bytes: Buffer, kind?: string) => ({ fileName, data: bytes.toString('base64'), ...(kind ? { kind } : {}) });

describe('LoRAs and embeddings over the contract', () => {
  it('imports an upload into the right folder, lists what the file says with its preview, and removes it', async () => {
    const { web, dataDir } = await start();
    const info = await value<AppInfo>(web, 'app.info', {});
    expect(info.paths.loras).toBe(path.join(dataDir, 'loras'));

    const lora = await value<AdapterSummary>(web, 'adapters.import', upload('ink-style.safetensors', styleLora));
    expect(lora).toMatchObject({ kind: 'lora', name: 'ink-style', bytes: styleLora.length, base: 'sd1', baseModel: null, lcm: false, problem: null });
    expect(lora.triggerWords).toEqual(['ink wash', 'brush strokes']);
    expect(lora.hash).toBe(await a1111LoraHash(path.join(info.paths.loras, 'ink-style.safetensors')));

    // 'auto' tells an embedding from a LoRA by its tensors.
    const embedding = await value<AdapterSummary>(web, 'adapters.import', upload('sdxl-negative.safetensors', sdxlEmbedding));
    expect(embedding).toMatchObject({ kind: 'embedding', name: 'sdxl-negative', base: 'sdxl' });
    expect(await readdir(info.paths.embeddings)).toEqual(['sdxl-negative.safetensors']);

    // A preview beside the file comes back small, as a data URL the page can show.
    const preview = await sharp({ create: { width: 512, height: 768, channels: 3, background: '#345' } }).png().toBuffer();
    await writeFile(path.join(info.paths.loras, 'ink-style.preview.png'), preview);
    const listed = await value<AdapterList>(web, 'adapters.list', {});
    expect(listed.embeddings.map((entry) => entry.name)).toEqual(['sdxl-negative']);
    const shown = listed.loras[0]!.preview!;
    expect(shown).toMatch(/^data:image\/png;base64,/);
    expect(await sharp(Buffer.from(shown.split(',')[1]!, 'base64')).metadata()).toMatchObject({ width: 160, height: 160 });

    expect((await refusal(web, 'adapters.import', upload('ink-style.safetensors', styleLora))).message).toMatch(/already installed/);
    expect(await value(web, 'adapters.remove', { kind: 'lora', name: 'ink-style' })).toEqual({ kind: 'lora', name: 'ink-style' });
    expect(await readdir(info.paths.loras)).toEqual([]);
    expect((await refusal(web, 'adapters.remove', { kind: 'lora', name: 'ink-style' })).code).toBe('not_found');
  });

  it('refuses pickles, files that are neither, and names that leave the folder, keeping nothing', async () => {
    const { web, dataDir } = await start();
    const pickle = await refusal(web, 'adapters.import', upload('style.ckpt', Buffer.from('PK\x03\x04 pickle')));
    expect(pickle.code).toBe('model_unsafe');
    expect(pickle.message).toMatch(/pickle.*never opens it/);
    const neither = await refusal(web, 'adapters.import', upload('vae.safetensors', safetensorsBytes({ 'decoder.conv_in.weight': f32([1, 2], [1, 2]), 'decoder.conv_out.weight': f32([1, 2], [1, 2]) })));
    expect(neither.code).toBe('model_invalid');
    expect(neither.message).toMatch(/neither a LoRA nor a textual-inversion embedding/);
    const garbage = await refusal(web, 'adapters.import', upload('broken.safetensors', Buffer.from('\xff\xff\xff\xff\xff\xff\xff\x7fnot json', 'latin1')));
    expect(garbage.code).toBe('model_invalid');
    expect((await refusal(web, 'adapters.import', upload('../escape.safetensors', styleLora))).code).toBe('invalid_request');
    expect((await refusal(web, 'adapters.remove', { kind: 'lora', name: '../settings' })).code).toBe('invalid_request');
    expect(existsSync(path.join(dataDir, 'loras'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'embeddings'))).toBe(false);
  });

  it('refuses an upload larger than the limit before reading its body', async () => {
    const { web } = await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: web.port,
        path: '/api/call/adapters.import',
        method: 'POST',
        headers: { 'x-easel-token': web.token, 'content-type': 'application/json', 'content-length': MAX_ADAPTER_BODY_BYTES + 1 },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"fileName":"big.safetensors","data":"');
    });
    expect(status).toBe(413);
  });

  it('changes the LoRA folder to one named by a page only when it holds nothing but adapters', async () => {
    const { web, dataDir } = await start();
    const mine = path.join(dataDir, 'my-loras');
    await mkdir(mine);
    await writeFile(path.join(mine, 'a.safetensors'), styleLora);
    await writeFile(path.join(mine, 'a.preview.png'), 'png');
    const chosen = await value<{ chosen: boolean; settings: PublicSettings }>(web, 'settings.chooseFolder', { which: 'loras', path: mine, confirmed: true });
    expect(chosen.settings.loraDir).toBe(mine);
    expect((await value<AdapterList>(web, 'adapters.list', {})).loras.map((entry) => entry.name)).toEqual(['a']);

    const documents = path.join(dataDir, 'documents');
    await mkdir(documents);
    await writeFile(path.join(documents, 'taxes.pdf'), 'pdf');
    expect((await refusal(web, 'settings.chooseFolder', { which: 'embeddings', path: documents, confirmed: true })).code).toBe('forbidden');
    expect((await value<PublicSettings>(web, 'settings.get', {})).embeddingDir).toBeNull();
    // The folders are the person's to choose, never a page's plain settings patch.
    expect((await refusal(web, 'settings.update', { loraDir: documents })).code).toBe('invalid_request');
  });
});

describe('LoRAs in settings read from an A1111 image', () => {
  it('finds an installed LoRA by its A1111 hash under another name, keeps the weights, and names the ones missing', async () => {
    const { web } = await start();
    const installed = await value<AdapterSummary>(web, 'adapters.import', upload('ink-style.safetensors', styleLora));
    // As A1111 v1.10 writes it: the tags in the prompt, their short hashes quoted in `Lora hashes`.
    const parameters = [
      'a castle at dusk, <lora:inkStyle_v2:0.7> <lora:add_detail:0.5>',
      'Negative prompt: blurry, <lora:inkStyle_v2:-0.2>',
      'Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: 6ce0161689, ' +
        `Model: v1-5-pruned-emaonly, Lora hashes: "inkStyle_v2: ${installed.hash}, add_detail: 7c6bad76eb54", Version: v1.10.1`,
    ].join('\n');
    const plain = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const png = addPngTextChunks(plain, { parameters });
    const read = await value<ImportedParameters>(web, 'gallery.readParameters', { data: png.toString('base64') });
    expect(read).toMatchObject({
      source: 'a1111',
      prompt: 'a castle at dusk, <lora:ink-style:0.7> <lora:add_detail:0.5>',
      negativePrompt: 'blurry, <lora:ink-style:-0.2>',
      loras: [
        { name: 'ink-style', scale: 0.7, hash: installed.hash },
        { name: 'add_detail', scale: 0.5, hash: '7c6bad76eb54' },
        { name: 'ink-style', scale: -0.2, hash: installed.hash },
      ],
      lorasNotInstalled: ['add_detail'],
    });
  });
});
