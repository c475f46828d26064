import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePromptAdapters } from '../../../src-main/core/adapters/prompt-adapters';
import { a1111LoraHash } from '../../../src-main/core/adapters/prompt-tags';
import { EaselError } from '../../../src-main/core/errors';
import { f32, safetensorsBytes } from '../../fixtures/safetensors';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-prompt-adapters-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const loraDir = path.join(temp, 'loras');
const embeddingDir = path.join(temp, 'embeddings');
mkdirSync(loraDir);
mkdirSync(embeddingDir);
const layer = (seed: number) => ({
  'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight': f32([seed, 2, 3, 4], [2, 2]),
  'lora_unet_mid_block_attentions_0_proj_in.lora_up.weight': f32([1, 2, 3, 4], [2, 2]),
});
writeFileSync(path.join(loraDir, 'pixel.safetensors'), safetensorsBytes(layer(1)));
writeFileSync(path.join(temp, 'elsewhere.safetensors'), safetensorsBytes(layer(2)));
writeFileSync(path.join(embeddingDir, 'EasyNegative.safetensors'), safetensorsBytes({ emb_params: f32([1, 2, 3, 4], [2, 2]) }));
writeFileSync(path.join(embeddingDir, 'unused.safetensors'), safetensorsBytes({ emb_params: f32([1, 2], [1, 2]) }));

describe('adapters a generation asks for', () => {
  it('resolves tags from both prompts, given files, and the embeddings the prompts name', async () => {
    const resolved = await resolvePromptAdapters('a cat <lora:pixel:0.6>', 'easynegative, blurry <lora:pixel:-1>', {
      loras: [{ file: path.join(temp, 'elsewhere.safetensors'), scale: 0.5 }],
      loraDir,
      embeddingDir,
    });
    expect(resolved.prompt).toBe('a cat ');
    expect(resolved.negativePrompt).toBe('easynegative, blurry ');
    expect(resolved.loras).toEqual([
      { file: path.join(temp, 'elsewhere.safetensors'), scale: 0.5 },
      { file: path.join(loraDir, 'pixel.safetensors'), scale: 0.6 },
      { file: path.join(loraDir, 'pixel.safetensors'), scale: -1 },
    ]);
    expect(resolved.hashes.map(({ name }) => name)).toEqual(['elsewhere', 'pixel', 'pixel']);
    expect(resolved.hashes[1]!.hash).toBe(await a1111LoraHash(path.join(loraDir, 'pixel.safetensors')));
    expect(resolved.embeddings.map((embedding) => embedding.name)).toEqual(['EasyNegative']);
  });

  it('names the folder when a tagged LoRA is not installed, and asks for a folder when none is given', async () => {
    const missing = await resolvePromptAdapters('<lora:nope>', '', { loraDir }).catch((thrown: unknown) => thrown);
    expect((missing as EaselError).code).toBe('not_found');
    expect((missing as EaselError).message).toContain(loraDir);
    const noDir = await resolvePromptAdapters('<lora:pixel>', '', {}).catch((thrown: unknown) => thrown);
    expect(noDir).toBeInstanceOf(EaselError);
  });
});
