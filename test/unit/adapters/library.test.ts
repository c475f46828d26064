import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdapterLibrary, LoraHashCache } from '../../../src-main/core/adapters/library';
import { a1111LoraHash } from '../../../src-main/core/adapters/prompt-tags';
import { EaselError } from '../../../src-main/core/errors';
import { f32, safetensorsBytes } from '../../fixtures/safetensors';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-library-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const lora = safetensorsBytes(
  {
    'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight': f32([1, 2, 3, 4], [2, 2]),
    'lora_unet_mid_block_attentions_0_proj_in.lora_up.weight': f32([1, 2, 3, 4], [2, 2]),
  },
  {
    ss_base_model_version: 'sd_v1',
    ss_tag_frequency: JSON.stringify({ '10_pixel': { 'pixel art': 40, sprite: 12 }, '5_extra': { sprite: 30, outline: 2 } }),
  },
);

async function rejection(promise: Promise<unknown>): Promise<EaselError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(EaselError);
  return error as EaselError;
}

describe('the LoRA library', () => {
  it('imports a checked file, lists it with its base model, trigger words, preview and A1111 hash, and removes it', async () => {
    const dir = path.join(temp, 'loras');
    const library = new AdapterLibrary(dir, 'lora');
    expect(await library.list()).toEqual([]);
    writeFileSync(path.join(temp, 'pixel.safetensors'), lora);
    const entry = await library.import(path.join(temp, 'pixel.safetensors'));
    writeFileSync(path.join(dir, 'pixel.preview.png'), 'png');
    const [listed] = await library.list();
    expect(listed).toEqual({
      name: 'pixel',
      file: path.join(dir, 'pixel.safetensors'),
      bytes: lora.length,
      hash: await a1111LoraHash(path.join(temp, 'pixel.safetensors')),
      baseModel: 'sd_v1',
      base: 'sd1',
      lcm: false,
      triggerWords: ['sprite', 'pixel art', 'outline'],
      preview: path.join(dir, 'pixel.preview.png'),
    });
    expect(entry.name).toBe('pixel');
    expect(await library.resolve('pixel')).toBe(path.join(dir, 'pixel.safetensors'));

    expect((await rejection(library.import(path.join(temp, 'pixel.safetensors')))).message).toMatch(/already installed/);
    await library.remove('pixel');
    expect(readdirSync(dir)).toEqual([]);
    expect((await rejection(library.resolve('pixel'))).code).toBe('not_found');
    expect((await rejection(library.resolve('../pixel'))).code).toBe('invalid_request');
  });

  it('refuses pickles and files that are not LoRAs, leaving nothing behind', async () => {
    const dir = path.join(temp, 'refusing');
    const library = new AdapterLibrary(dir, 'lora');
    writeFileSync(path.join(temp, 'old.ckpt'), Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect((await rejection(library.import(path.join(temp, 'old.ckpt')))).code).toBe('model_unsafe');
    writeFileSync(path.join(temp, 'nothing.safetensors'), safetensorsBytes({ weight: f32([1], [1]) }));
    expect((await rejection(library.import(path.join(temp, 'nothing.safetensors')))).code).toBe('model_invalid');
    expect(await library.list()).toEqual([]);
  });
});

describe('what an adapter was made for', () => {
  const layer = (prefix: string, inWidth: number, out: number) => ({
    [`${prefix}.lora_down.weight`]: f32(new Float32Array(inWidth), [1, inWidth]),
    [`${prefix}.lora_up.weight`]: f32(new Float32Array(out), [out, 1]),
  });
  const listed = async (name: string, bytes: Buffer, kind: 'lora' | 'embedding' = 'lora') => {
    const dir = path.join(temp, `base-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.safetensors`), bytes);
    const [entry] = await new AdapterLibrary(dir, kind).list();
    return entry!;
  };

  it('reads the base from the widths when the metadata is silent, and knows an LCM-LoRA by its name', async () => {
    const attn = 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k';
    expect((await listed('sd2', safetensorsBytes(layer(attn, 1024, 640)))).base).toBe('sd2');
    expect((await listed('xl', safetensorsBytes(layer(attn, 2048, 640)))).base).toBe('sdxl');
    expect((await listed('te2', safetensorsBytes(layer('lora_te2_text_model_encoder_layers_0_self_attn_q_proj', 1280, 1280)))).base).toBe('sdxl');
    const unknown = await listed('tiny', safetensorsBytes(layer(attn, 32, 32)));
    expect(unknown.base).toBeUndefined();
    expect(unknown.lcm).toBe(false);
    // Metadata wins over widths.
    expect((await listed('said', safetensorsBytes(layer(attn, 32, 32), { 'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora' }))).base).toBe('sdxl');
    const lcm = await listed('lcm-lora-sdv1-5', safetensorsBytes(layer(attn, 768, 320)));
    expect(lcm).toMatchObject({ lcm: true, base: 'sd1' });
    expect((await listed('LCM_LoRA_SDXL', safetensorsBytes(layer(attn, 2048, 640)))).lcm).toBe(true);
    expect((await listed('welcome', safetensorsBytes(layer(attn, 768, 320)))).lcm).toBe(false);
    expect((await listed('easynegative', safetensorsBytes({ emb_params: f32(new Float32Array(2 * 768), [2, 768]) }), 'embedding')).base).toBe('sd1');
  });

  it('hashes a file again only when it changed, however often the library is listed', async () => {
    const dir = path.join(temp, 'hash-cache');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'style.safetensors');
    const attn = 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k';
    writeFileSync(file, safetensorsBytes(layer(attn, 768, 320)));
    const library = new AdapterLibrary(dir, 'lora', new LoraHashCache());
    const first = (await library.list())[0]!.hash;
    expect((await library.list())[0]!.hash).toBe(first);
    writeFileSync(file, safetensorsBytes(layer(attn, 768, 640)));
    const changed = (await library.list())[0]!.hash;
    expect(changed).not.toBe(first);
    expect(changed).toBe(await a1111LoraHash(file));
  });

  it('lists a file that no longer opens with the reason, so it can be removed', async () => {
    const entry = await listed('cut', Buffer.from([9, 9, 9]));
    expect(entry.problem).toMatch(/cut/);
    expect(entry.hash).toBe('');
  });
});
