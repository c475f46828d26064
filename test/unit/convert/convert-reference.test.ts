import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../src-main/core/convert/convert';
import { type TinyFamily, tinyCheckpoint, writeTinyCheckpoint } from '../../fixtures/checkpoints';

const CLIP_TOKENIZER = path.resolve(__dirname, '../../../resources/tokenizers/clip');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'easel-convert-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function run(folder: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(path.join(folder, 'model.onnx'));
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** Largest difference relative to the reference's largest magnitude. */
function relativeError(actual: Float32Array, expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return worst / scale;
}

const floats = (values: number[] | number, dims: number[]) => new ort.Tensor('float32', Float32Array.from(values as number[]), dims);

describe.each<TinyFamily>(['sd1', 'sd2', 'sdxl'])('a tiny %s checkpoint converts to graphs that compute what the original modules do', (family) => {
  let dir: string;
  beforeAll(async () => {
    const file = path.join(scratch, `${family}.safetensors`);
    await writeTinyCheckpoint(file, family);
    dir = path.join(scratch, `${family}-onnx`);
    const result = await convertCheckpoint(file, dir, { tokenizerDir: CLIP_TOKENIZER });
    expect(result.family).toBe(family);
  }, 120_000);

  const reference = tinyCheckpoint(family);

  it('text encoder(s)', async () => {
    for (const folder of Object.keys(reference.outputs).filter((name) => name.startsWith('text_encoder'))) {
      const input = reference.inputs[folder]!;
      const ids = new ort.Tensor('int64', BigInt64Array.from((input['input_ids'] as number[]).map(BigInt)), input['dims'] as number[]);
      const outputs = await run(path.join(dir, folder), { input_ids: ids });
      for (const [name, expected] of Object.entries(reference.outputs[folder]!)) {
        expect(relativeError(outputs[name]!, expected), `${folder} ${name}`).toBeLessThan(1e-4);
      }
    }
  });

  it('UNet', async () => {
    const input = reference.inputs['unet']!;
    const sequence = input['sequence'] as number;
    const context = input['encoder_hidden_states'] as number[];
    const feeds: Record<string, ort.Tensor> = {
      sample: floats(input['sample']!, [2, 4, 16, 16]),
      timestep: floats(input['timestep']!, [2]),
      encoder_hidden_states: floats(context, [2, sequence, context.length / 2 / sequence]),
    };
    if (family === 'sdxl') {
      const textEmbeds = input['text_embeds'] as number[];
      feeds['text_embeds'] = floats(textEmbeds, [2, textEmbeds.length / 2]);
      feeds['time_ids'] = floats(input['time_ids']!, [2, 6]);
    }
    const outputs = await run(path.join(dir, 'unet'), feeds);
    expect(relativeError(outputs['out_sample']!, reference.outputs['unet']!['out_sample']!)).toBeLessThan(1e-4);
  });

  it('VAE decoder and encoder', async () => {
    const decoded = await run(path.join(dir, 'vae_decoder'), { latent_sample: floats(reference.inputs['vae_decoder']!['latent_sample']!, [1, 4, 8, 8]) });
    expect(relativeError(decoded['sample']!, reference.outputs['vae_decoder']!['sample']!)).toBeLessThan(1e-4);
    const encoded = await run(path.join(dir, 'vae_encoder'), { sample: floats(reference.inputs['vae_encoder']!['sample']!, [1, 3, 16, 16]) });
    expect(relativeError(encoded['latent_parameters']!, reference.outputs['vae_encoder']!['latent_parameters']!)).toBeLessThan(1e-4);
  });
});
