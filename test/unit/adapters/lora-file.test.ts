import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lora } from '../../../src-main/core/adapters/lora';
import { EaselError } from '../../../src-main/core/errors';
import { f32, safetensorsBytes } from '../../fixtures/safetensors';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-lora-file-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function refusal(name: string, bytes: Buffer): Promise<EaselError> {
  const file = path.join(temp, name);
  writeFileSync(file, bytes);
  const error = await Lora.open(file).catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(EaselError);
  return error as EaselError;
}

const layer = {
  'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight': f32([1, 2, 3, 4], [2, 2]),
  'lora_unet_mid_block_attentions_0_proj_in.lora_up.weight': f32([1, 2, 3, 4, 5, 6], [3, 2]),
};

describe('opening a LoRA file', () => {
  it('reads its layers and the base model it names', async () => {
    const file = path.join(temp, 'style.safetensors');
    writeFileSync(file, safetensorsBytes(layer, { ss_base_model_version: 'sd_v1', ss_sd_model_name: 'v1-5-pruned.ckpt' }));
    const lora = await Lora.open(file);
    expect(lora.name).toBe('style');
    expect(lora.layers.map((l) => l.module)).toEqual(['mid_block_attentions_0_proj_in']);
    expect(lora.baseModel).toBe('sd_v1 (v1-5-pruned.ckpt)');
    await lora.close();
  });

  it('refuses pickles by extension and by content, saying why', async () => {
    const byName = await refusal('style.pt', Buffer.from([0x80, 0x02, 0x7d]));
    expect(byName.code).toBe('model_unsafe');
    expect(byName.message).toMatch(/pickle.*safetensors/);
    const byContent = await refusal('disguised.safetensors', Buffer.from([0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0]));
    expect(byContent.code).toBe('model_unsafe');
  });

  it('refuses a hostile header without reading past the file or allocating what it claims', async () => {
    const claim = Buffer.alloc(16);
    claim.writeBigUInt64LE(BigInt(4 * 1024 ** 3));
    expect((await refusal('huge-claim.safetensors', claim)).code).toBe('model_invalid');

    const valid = safetensorsBytes(layer);
    const outside = Buffer.from(valid.toString('latin1').replace('[0,16]', '[0,99]'), 'latin1');
    expect((await refusal('outside.safetensors', outside)).message).toMatch(/not a valid safetensors file/);
  });

  it('refuses a layer whose halves do not fit together, and an adapter kind it does not apply', async () => {
    const mismatched = {
      'lora_unet_x.lora_down.weight': f32([1, 2, 3, 4], [2, 2]),
      'lora_unet_x.lora_up.weight': f32([1, 2, 3], [1, 3]),
    };
    expect((await refusal('mismatched.safetensors', safetensorsBytes(mismatched))).message).toMatch(/mismatched shapes/);
    const loha = { 'lora_unet_x.hada_w1_a': f32([1], [1, 1]) };
    expect((await refusal('loha.safetensors', safetensorsBytes(loha))).message).toMatch(/LoHa/);
    expect((await refusal('empty.safetensors', safetensorsBytes({}))).message).toMatch(/no LoRA layers/);
  });
});
