import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { runDecoder } from '../../../src-main/core/pipeline/decode';
import type { LatentPreview } from '../../../src-main/core/pipeline/types';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { fixtureModel } from '../../fixtures/models';
import { buildTinyDecoder, tinyDecoderFixtureSpec } from '../../fixtures/onnx/tiny-decoder';
import { makeHarness, smallRequest } from './pipeline-harness';

interface Reference {
  spec: typeof tinyDecoderFixtureSpec;
  input: { dims: number[]; values: number[] };
  output: { dims: number[]; values: number[] };
}

const reference = JSON.parse(
  readFileSync(path.join(__dirname, '../../fixtures/reference/tiny-decoder.json'), 'utf8'),
) as Reference;
const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-tiny-decoder-'));
const harness = makeHarness();
afterAll(async () => {
  await (await harness).dispose();
  rmSync(temp, { recursive: true, force: true });
});

async function tinySession(floatType: 'float32' | 'float16'): Promise<OnnxSession> {
  const file = path.join(temp, floatType, 'model.onnx');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, buildTinyDecoder({ ...tinyDecoderFixtureSpec, floatType }).model);
  return OnnxSession.create(file, 'cpu');
}

describe('the tiny decoder (TAESD architecture)', () => {
  it('gives what DecoderTiny in torch gives on the same random weights', async () => {
    expect(reference.spec).toEqual(tinyDecoderFixtureSpec);
    const session = await tinySession('float32');
    try {
      const [, channels, height, width] = reference.input.dims as [number, number, number, number];
      const image = await runDecoder(session, Float32Array.from(reference.input.values), [channels, height, width]);
      expect(reference.output.dims).toEqual([1, 3, height * 8, width * 8]);
      let worst = 0;
      reference.output.values.forEach((expected, i) => (worst = Math.max(worst, Math.abs(image[i]! - expected))));
      expect(worst).toBeLessThan(1e-4);
      // The reference is not flat: a wrong layer would show.
      expect(Math.max(...reference.output.values) - Math.min(...reference.output.values)).toBeGreaterThan(1);
    } finally {
      await session.release();
    }
  });

  it('runs as float16 within float16 precision of the float32 graph', async () => {
    const session = await tinySession('float16');
    try {
      const [, channels, height, width] = reference.input.dims as [number, number, number, number];
      const image = await runDecoder(session, Float32Array.from(reference.input.values), [channels, height, width]);
      let worst = 0;
      reference.output.values.forEach((expected, i) => (worst = Math.max(worst, Math.abs(image[i]! - expected))));
      expect(worst).toBeLessThan(0.05);
    } finally {
      await session.release();
    }
  });
});

describe('choosing the decoder', () => {
  it('decodes with the tiny decoder when asked, records it, and leaves the full decoder unopened', async () => {
    const { generate, created } = await harness;
    const dir = await fixtureModel('sd15-optimum', { tinyDecoder: true });
    const before = created.length;
    const [tiny] = await generate(smallRequest(dir, { decoder: 'tiny' }));
    expect(tiny!.metadata.decoder).toBe('tiny');
    const opened = created.slice(before).map((session) => path.basename(path.dirname(session.modelPath)));
    expect(opened).toContain('vae_decoder_tiny');
    expect(opened).not.toContain('vae_decoder');

    const [full] = await generate(smallRequest(dir, { decoder: 'full' }));
    expect(full!.metadata.decoder).toBe('full');
    expect(Buffer.from(full!.rgb).equals(Buffer.from(tiny!.rgb))).toBe(false);
    // The full decoder's image is the one the same model makes without a tiny decoder.
    const [plain] = await generate(smallRequest(await fixtureModel('sd15-optimum'), { decoder: 'full' }));
    expect(Buffer.from(full!.rgb).equals(Buffer.from(plain!.rgb))).toBe(true);
  });

  it('takes the tiny decoder on a CPU run for auto when the model has one, the full one otherwise', async () => {
    const { generate } = await harness;
    const withTiny = await fixtureModel('sd15-optimum', { tinyDecoder: true });
    const [auto] = await generate(smallRequest(withTiny, { decoder: 'auto' }));
    const [tiny] = await generate(smallRequest(withTiny, { decoder: 'tiny' }));
    expect(auto!.metadata.decoder).toBe('tiny');
    expect(Buffer.from(auto!.rgb).equals(Buffer.from(tiny!.rgb))).toBe(true);
    const [plain] = await generate(smallRequest(await fixtureModel('sd15-optimum'), { decoder: 'auto' }));
    expect(plain!.metadata.decoder).toBe('full');
  });

  it('refuses the tiny decoder for a model without one, naming the field', async () => {
    const { generate } = await harness;
    const error = await generate(smallRequest(await fixtureModel('sd15-legacy'), { decoder: 'tiny' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('invalid_request');
    expect((error as EaselError).detail).toMatchObject({ field: 'decoder' });
    expect((error as EaselError).message).toContain('vae_decoder_tiny/model.onnx');
  });

  it('previews the picture at full size with the tiny decoder, even when the full one decodes the image', async () => {
    const { generate } = await harness;
    const dir = await fixtureModel('sd15-fp16', { tinyDecoder: true });
    const previews: LatentPreview[] = [];
    await generate(smallRequest(dir, { decoder: 'full', preview: true, steps: 3 }), {
      onProgress: (progress) => {
        if (progress.preview) previews.push(progress.preview);
      },
    });
    expect(previews).toHaveLength(3);
    expect(previews[0]).toMatchObject({ width: 64, height: 64 });
    expect(previews[0]!.rgb).toHaveLength(64 * 64 * 3);
  });
});
