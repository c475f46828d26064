import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdapterLibrary } from '../../../src-main/core/adapters/library';
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
