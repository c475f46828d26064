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
    const decoded = await run(path.join(dir, 'vae_decoder'), { latent_sample: floats(reference.inputs['vae_decoder']!['latent_sample']!, [1, 4, 4, 4]) });
    expect(relativeError(decoded['sample']!, reference.outputs['vae_decoder']!['sample']!)).toBeLessThan(1e-4);
    const encoded = await run(path.join(dir, 'vae_encoder'), { sample: floats(reference.inputs['vae_encoder']!['sample']!, [1, 3, 32, 32]) });
    expect(relativeError(encoded['latent_parameters']!, reference.outputs['vae_encoder']!['latent_parameters']!)).toBeLessThan(1e-4);
  });
});

describe('converted graphs name nodes and weights by diffusers module paths, as LoRA loaders look them up', () => {
  it('sd1 UNet and text encoder', async () => {
    const { readFile } = await import('node:fs/promises');
    const { onnx } = await import('onnx-proto');
    const file = path.join(scratch, 'names.safetensors');
    await writeTinyCheckpoint(file, 'sd1', { dtype: 'F16' });
    const dir = path.join(scratch, 'names-onnx');
    await convertCheckpoint(file, dir, { tokenizerDir: CLIP_TOKENIZER });
    const unet = onnx.ModelProto.decode(await readFile(path.join(dir, 'unet', 'model.onnx')));
    const nodes = new Set((unet.graph?.node ?? []).map((node) => node.name));
    expect(nodes).toContain('/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul');
    expect(nodes).toContain('/up_blocks.1/attentions.1/transformer_blocks.0/attn2/to_out.0/MatMul');
    expect(nodes).toContain('/mid_block/resnets.1/conv1/Conv');
    const weights = new Map((unet.graph?.initializer ?? []).map((tensor) => [tensor.name, tensor]));
    // Linear weights are stored as MatMul's right operand: [in, out].
    const toQ = weights.get('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight');
    expect(toQ?.dims?.map(Number)).toEqual([32, 32]);
    expect(toQ?.dataType).toBe(onnx.TensorProto.DataType.FLOAT16);
    expect(toQ?.externalData?.find((entry) => entry.key === 'location')?.value).toBe('model.onnx_data');
    const text = onnx.ModelProto.decode(await readFile(path.join(dir, 'text_encoder', 'model.onnx')));
    expect((text.graph?.node ?? []).map((node) => node.name)).toContain('/text_model/encoder/layers.1/self_attn/q_proj/MatMul');
  }, 60_000);
});
