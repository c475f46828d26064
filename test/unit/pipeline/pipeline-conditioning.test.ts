import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeConditioning } from '../../../src-main/core/pipeline/conditioning';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { ClipTokenizer } from '../../../src-main/core/pipeline/tokenizer';
import { SessionCache } from '../../../src-main/core/runtime/session-cache';
import { fixtureModel } from '../../fixtures/models';

const sessions = new SessionCache();
afterAll(() => sessions.releaseAll());

async function encodersFor(kind: 'sd15-optimum' | 'sdxl') {
  const folder = await readModelFolder(await fixtureModel(kind));
  const options = { cpuThreads: 1 };
  return {
    folder,
    encoders: {
      tokenizer: await ClipTokenizer.load(folder.tokenizerDir),
      encoder: await sessions.get(folder.dir, 'text_encoder', 'cpu', options),
      tokenizer2: folder.tokenizer2Dir === null ? null : await ClipTokenizer.load(folder.tokenizer2Dir),
      encoder2: folder.parts.text_encoder_2 === undefined ? null : await sessions.get(folder.dir, 'text_encoder_2', 'cpu', options),
    },
  };
}

// 100 tokens: two chunks of 75.
const longPrompt = Array.from({ length: 100 }, () => 'cat').join(' ');
let sd: Awaited<ReturnType<typeof encodersFor>>;
let xl: Awaited<ReturnType<typeof encodersFor>>;
beforeAll(async () => {
  sd = await encodersFor('sd15-optimum');
  xl = await encodersFor('sdxl');
});

function rowOf(values: Float32Array, row: number, rowLength: number): Float32Array {
  return values.subarray(row * rowLength, (row + 1) * rowLength);
}

describe('encodeConditioning', () => {
  it('pads the negative prompt to the prompt\'s chunk count and concatenates chunks along the sequence', async () => {
    const c = await encodeConditioning(sd.encoders, longPrompt, 'blurry', { guided: true, zeroEmptyNegative: false });
    expect(c).toMatchObject({ rows: 2, sequence: 154, dim: 768, pooled: null });
    expect(c.hiddenStates.length).toBe(2 * 154 * 768);
    const negative = rowOf(c.hiddenStates, 0, 154 * 768);
    expect(negative.some((v) => v !== 0)).toBe(true);
    // The first chunk alone is what a one-chunk encode of a short prompt gives.
    const short = await encodeConditioning(sd.encoders, 'blurry', '', { guided: false, zeroEmptyNegative: false });
    expect(short.sequence).toBe(77);
    expect(Array.from(negative.subarray(0, 77 * 768))).toEqual(Array.from(short.hiddenStates));
  });

  it('encodes only the prompt without guidance', async () => {
    const c = await encodeConditioning(sd.encoders, 'a cat', 'blurry', { guided: false, zeroEmptyNegative: false });
    expect(c.rows).toBe(1);
    expect(c.hiddenStates.length).toBe(77 * 768);
  });

  it('weights tokens and keeps the chunk mean (A1111)', async () => {
    const plain = await encodeConditioning(sd.encoders, 'a red cat', '', { guided: false, zeroEmptyNegative: false });
    const weighted = await encodeConditioning(sd.encoders, 'a (red:1.6) cat', '', { guided: false, zeroEmptyNegative: false });
    const mean = (values: Float32Array) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(Array.from(weighted.hiddenStates)).not.toEqual(Array.from(plain.hiddenStates));
    expect(mean(weighted.hiddenStates)).toBeCloseTo(mean(plain.hiddenStates), 4);
  });

  it('joins both SDXL encoders (768 + 1280) and zeroes an empty negative, pooled embeds included', async () => {
    const c = await encodeConditioning(xl.encoders, 'a cat', '', { guided: true, zeroEmptyNegative: true });
    expect(c).toMatchObject({ rows: 2, sequence: 77, dim: 2048, pooledDim: 1280 });
    expect(rowOf(c.hiddenStates, 0, 77 * 2048).every((v) => v === 0)).toBe(true);
    expect(rowOf(c.hiddenStates, 1, 77 * 2048).some((v) => v !== 0)).toBe(true);
    expect(rowOf(c.pooled!, 0, 1280).every((v) => v === 0)).toBe(true);
    expect(rowOf(c.pooled!, 1, 1280).some((v) => v !== 0)).toBe(true);
    const given = await encodeConditioning(xl.encoders, 'a cat', 'fog', { guided: true, zeroEmptyNegative: true });
    expect(rowOf(given.hiddenStates, 0, 77 * 2048).some((v) => v !== 0)).toBe(true);
  });

  it('uses the penultimate hidden states of each SDXL encoder', async () => {
    const c = await encodeConditioning(xl.encoders, 'a cat', '', { guided: false, zeroEmptyNegative: true });
    const ids = xl.encoders.tokenizer.encodePrompt('a cat').chunks[0]!.inputIds;
    const out = await xl.encoders.encoder.run({ input_ids: { data: Int32Array.from(ids), dims: [1, 77] } }, ['hidden_states.11']);
    const first = out['hidden_states.11']!.data as Float32Array;
    expect(Array.from(c.hiddenStates.subarray(0, 768))).toEqual(Array.from(first.subarray(0, 768)));
  });
});
