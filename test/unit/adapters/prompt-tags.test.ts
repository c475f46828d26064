import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { a1111LoraHash, extractLoraTags, loraHashesValue, parseLoraHashes } from '../../../src-main/core/adapters/prompt-tags';
import { EaselError } from '../../../src-main/core/errors';
import { f32, safetensorsBytes } from '../../fixtures/safetensors';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-tags-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('LoRA tags in prompts', () => {
  it('takes A1111 tags out of the text with their scales (1 when omitted)', () => {
    expect(extractLoraTags('a cat, <lora:pixel-art:0.7> on a sofa <LORA:detail> <lyco:loha_thing:0.5:1.2>')).toEqual({
      text: 'a cat,  on a sofa  ',
      tags: [
        { name: 'pixel-art', scale: 0.7 },
        { name: 'detail', scale: 1 },
        { name: 'loha_thing', scale: 0.5, unetScale: 1.2 },
      ],
    });
    expect(extractLoraTags('no tags (here:1.2)')).toEqual({ text: 'no tags (here:1.2)', tags: [] });
  });

  it('refuses a tag whose scale is not a number', () => {
    expect(() => extractLoraTags('<lora:x:strong>')).toThrow(EaselError);
  });
});

describe('A1111 LoRA hashes', () => {
  it('hashes the bytes after the safetensors header, so metadata edits keep the hash', async () => {
    const tensors = { 'lora_unet_x.lora_down.weight': f32([1, 2, 3, 4], [2, 2]) };
    const a = path.join(temp, 'a.safetensors');
    const b = path.join(temp, 'b.safetensors');
    writeFileSync(a, safetensorsBytes(tensors, { ss_output_name: 'a' }));
    writeFileSync(b, safetensorsBytes(tensors, { ss_output_name: 'something much longer' }));
    const bytes = readFileSync(a);
    const afterHeader = bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
    const expected = createHash('sha256').update(afterHeader).digest('hex').slice(0, 12);
    expect(await a1111LoraHash(a)).toBe(expected);
    expect(await a1111LoraHash(b)).toBe(expected);
  });

  it('writes and reads the Lora hashes value as A1111 does', () => {
    const value = loraHashesValue([
      { name: 'pixel-art', hash: 'a1b2c3d4e5f6' },
      { name: 'odd:name,x', hash: '0123456789ab' },
    ]);
    expect(value).toBe('pixel-art: a1b2c3d4e5f6, oddnamex: 0123456789ab');
    expect([...parseLoraHashes(value)]).toEqual([
      ['pixel-art', 'a1b2c3d4e5f6'],
      ['oddnamex', '0123456789ab'],
    ]);
  });
});
