import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16Bits } from '../../../src-main/core/runtime/float16';
import { float16Bits, float16Tensor } from '../../../src-main/core/runtime/session';
import { createFixtureModel, type FixtureKind, fixtureKinds, fixtureModel, fixtureProfiles } from '../../fixtures/models';

type Meta = { name: string; type: string; shape: Array<number | string> };

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((session) => session.release()));
});

async function open(kind: FixtureKind, component: string, options: { nan?: boolean } = {}) {
  const session = await ort.InferenceSession.create(path.join(await fixtureModel(kind, options), component, 'model.onnx'));
  sessions.push(session);
  return session;
}

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): Meta[] {
  return list.map((value) => {
    if (!value.isTensor) throw new Error(`${value.name} is not a tensor`);
    return { name: value.name, type: value.type, shape: [...value.shape] };
  });
}

// float16 goes through the session wrapper's helpers, which keep it raw 16-bit data on every Node.
function floats(type: string, values: number[], dims: readonly number[]): ort.Tensor {
  if (type === 'float16') return float16Tensor(Uint16Array.from(values, toFloat16Bits), dims);
  return new ort.Tensor('float32', Float32Array.from(values), dims);
}

function readFloats(tensor: ort.OnnxValue): number[] {
  const t = tensor as ort.Tensor;
  if (t.type === 'float16') return Array.from(float16Bits(t.data), fromFloat16Bits);
  return Array.from(t.data as Float32Array);
}

function ids(type: 'int32' | 'int64', tokens: number[][]): ort.Tensor {
  const flat = tokens.flatMap((row) => [...row, ...Array<number>(77 - row.length).fill(row[row.length - 1]!)]);
  return type === 'int32'
    ? new ort.Tensor('int32', Int32Array.from(flat), [tokens.length, 77])
    : new ort.Tensor('int64', BigInt64Array.from(flat, BigInt), [tokens.length, 77]);
}

function timestepTensor(kind: FixtureKind, value: number, batch: number): ort.Tensor {
  const { type, dims } = fixtureProfiles[kind].timestep;
  const shape = dims.map((dim) => (typeof dim === 'number' ? dim : batch));
  const count = shape.reduce((a, b) => a * b, 1);
  if (type === 'int64') return new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(value)), shape);
  return floats(type, Array<number>(count).fill(value), shape);
}

function unetFeeds(kind: FixtureKind, options: { timestep?: number; text?: number } = {}): Record<string, ort.Tensor> {
  const profile = fixtureProfiles[kind];
  const f = profile.floatType;
  const batch = 2;
  const latent = Array.from({ length: batch * 4 * 8 * 8 }, (_, i) => Math.sin(i * 0.37));
  const text = options.text ?? 0.5;
  const feeds: Record<string, ort.Tensor> = {
    sample: floats(f, latent, [batch, 4, 8, 8]),
    timestep: timestepTensor(kind, options.timestep ?? 500, batch),
    encoder_hidden_states: floats(
      f,
      Array.from({ length: batch * 77 * profile.contextWidth }, (_, i) => Math.cos(i * text)),
      [batch, 77, profile.contextWidth],
    ),
  };
  if (profile.sdxl) {
    feeds.text_embeds = floats(f, Array.from({ length: batch * 1280 }, (_, i) => Math.sin(i)), [batch, 1280]);
    feeds.time_ids = floats(f, Array<number>(batch).fill(0).flatMap(() => [512, 512, 0, 0, 512, 512]), [batch, 6]);
  }
  if (profile.timestepCondWidth !== undefined) {
    const width = profile.timestepCondWidth;
    feeds.timestep_cond = floats(f, Array.from({ length: batch * width }, (_, i) => Math.sin(i / 7)), [batch, width]);
  }
  return feeds;
}

const legacyStyle = (kind: FixtureKind) => fixtureProfiles[kind].style === 'legacy';

describe.each(fixtureKinds)('fixture %s', (kind) => {
  const profile = fixtureProfiles[kind];
  const f = profile.floatType;
  const batch = legacyStyle(kind) ? 'batch' : 'batch_size';
  const sequence = legacyStyle(kind) ? 'sequence' : 'sequence_length';

  it('has the diffusers folder layout and configs', async () => {
    const dir = await fixtureModel(kind);
    const index = JSON.parse(readFileSync(path.join(dir, 'model_index.json'), 'utf8')) as Record<string, unknown>;
    expect(index._class_name).toBe(profile.pipelineClass);
    const scheduler = JSON.parse(readFileSync(path.join(dir, 'scheduler/scheduler_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(scheduler).toEqual(profile.scheduler);
    const vae = JSON.parse(readFileSync(path.join(dir, 'vae_decoder/config.json'), 'utf8')) as { scaling_factor: number };
    expect(vae.scaling_factor).toBe(profile.scalingFactor);
    for (const [index, pad] of profile.padTokens.entries()) {
      const folder = index === 0 ? 'tokenizer' : 'tokenizer_2';
      const vocab = JSON.parse(readFileSync(path.join(dir, folder, 'vocab.json'), 'utf8')) as Record<string, number>;
      expect(vocab['!']).toBe(0);
      expect(vocab['a</w>']).toBe(320); // as in CLIP's real vocabulary
      expect(vocab['cat</w>']).toBeGreaterThan(511);
      expect(vocab['<|endoftext|>']).toBe(Object.keys(vocab).length - 1);
      expect(vocab['<|startoftext|>']).toBe(Object.keys(vocab).length - 2);
      const merges = readFileSync(path.join(dir, folder, 'merges.txt'), 'utf8').trimEnd().split('\n');
      expect(merges[0]).toBe('#version: 0.2');
      expect(merges.length - 1).toBe(Object.keys(vocab).length - 512 - 2);
      const config = JSON.parse(readFileSync(path.join(dir, folder, 'tokenizer_config.json'), 'utf8')) as {
        pad_token: string | { content: string };
      };
      const padToken = typeof config.pad_token === 'string' ? config.pad_token : config.pad_token.content;
      expect(padToken).toBe(pad);
    }
    for (const [component, file] of Object.entries(profile.externalData)) {
      expect(existsSync(path.join(dir, component, file))).toBe(true);
    }
  });

  it('text encoders have the real export interface and run', async () => {
    const encoders = profile.sdxl ? ['text_encoder', 'text_encoder_2'] : ['text_encoder'];
    for (const [index, component] of encoders.entries()) {
      const session = await open(kind, component);
      const width = profile.textWidths[index]!;
      expect(metadata(session.inputMetadata)).toEqual([{ name: 'input_ids', type: profile.idsType, shape: [batch, sequence] }]);
      const outputs = metadata(session.outputMetadata);
      const hidden = { type: f, shape: [batch, sequence, width] };
      const expected: Meta[] =
        component === 'text_encoder_2'
          ? [{ name: 'text_embeds', type: f, shape: [batch, 1280] }, { name: 'last_hidden_state', ...hidden }]
          : [{ name: 'last_hidden_state', ...hidden }, { name: 'pooler_output', type: f, shape: [batch, width] }];
      if (profile.sdxl) {
        const layers = component === 'text_encoder_2' ? 32 : 12;
        for (let i = 0; i <= layers; i++) expected.push({ name: `hidden_states.${i}`, ...hidden });
      }
      expect(outputs).toEqual(expected);

      // Two prompts that differ in one token give different embeddings; the padding token id is irrelevant
      // to the shape: the tensor is [2, 77, width].
      const result = await session.run({ input_ids: ids(profile.idsType, [[600, 520, 601], [600, 521, 601]]) });
      const last = result.last_hidden_state!;
      expect(last.dims).toEqual([2, 77, width]);
      const values = readFloats(last);
      expect(values.every(Number.isFinite)).toBe(true);
      const half = values.length / 2;
      expect(values.slice(0, half)).not.toEqual(values.slice(half));
    }
  });

  it('unet has the real export interface, depends on timestep and text, and stays bounded', async () => {
    const session = await open(kind, 'unet');
    const spatial = legacyStyle(kind) ? [batch, 'channels', 'height', 'width'] : [batch, 4, 'height', 'width'];
    const inputs: Meta[] = [
      { name: 'sample', type: f, shape: spatial },
      { name: 'timestep', type: profile.timestep.type, shape: profile.timestep.dims },
      { name: 'encoder_hidden_states', type: f, shape: [batch, sequence, profile.contextWidth] },
    ];
    if (profile.sdxl) {
      inputs.push({ name: 'text_embeds', type: f, shape: [batch, 1280] }, { name: 'time_ids', type: f, shape: [batch, 6] });
    }
    if (profile.timestepCondWidth !== undefined) {
      inputs.push({ name: 'timestep_cond', type: f, shape: [batch, profile.timestepCondWidth] });
    }
    expect(metadata(session.inputMetadata)).toEqual(inputs);
    expect(metadata(session.outputMetadata).map(({ name, type }) => ({ name, type }))).toEqual([
      { name: 'out_sample', type: f },
    ]);

    const base = readFloats((await session.run(unetFeeds(kind))).out_sample!);
    expect(base).toHaveLength(2 * 4 * 8 * 8);
    expect(base.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
    const laterStep = readFloats((await session.run(unetFeeds(kind, { timestep: 100 }))).out_sample!);
    const otherText = readFloats((await session.run(unetFeeds(kind, { text: 0.9 }))).out_sample!);
    expect(laterStep).not.toEqual(base);
    expect(otherText).not.toEqual(base);
  });

  it('vae decoder and encoder have the real export interface and scale by 8', async () => {
    const decoder = await open(kind, 'vae_decoder');
    expect(metadata(decoder.inputMetadata).map(({ name, type }) => ({ name, type }))).toEqual([
      { name: 'latent_sample', type: f },
    ]);
    const latent = floats(f, Array.from({ length: 4 * 3 * 5 }, (_, i) => Math.sin(i)), [1, 4, 3, 5]);
    const image = (await decoder.run({ latent_sample: latent })).sample!;
    expect(image.dims).toEqual([1, 3, 24, 40]);
    expect(readFloats(image).every((v) => Math.abs(v) <= 1)).toBe(true);

    const encoder = await open(kind, 'vae_encoder');
    const outputName = legacyStyle(kind) ? 'latent_sample' : 'latent_parameters';
    expect(metadata(encoder.outputMetadata).map(({ name }) => name)).toEqual([outputName]);
    const encoded = (await encoder.run({ sample: floats(f, readFloats(image), image.dims) }))[outputName]!;
    expect(encoded.dims).toEqual([1, legacyStyle(kind) ? 4 : 8, 3, 5]);
  });
});

describe('fixture options and determinism', () => {
  it('the nan option makes the UNet output NaN', async () => {
    const session = await open('sd15-optimum', 'unet', { nan: true });
    const out = readFloats((await session.run(unetFeeds('sd15-optimum'))).out_sample!);
    expect(out.every(Number.isNaN)).toBe(true);
  });

  it('builds byte-identical models every time', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'easel-fixture-again-'));
    try {
      await createFixtureModel(dir, 'sdxl');
      const first = await fixtureModel('sdxl');
      for (const file of ['unet/model.onnx', 'unet/model.onnx_data', 'text_encoder_2/model.onnx', 'tokenizer/vocab.json']) {
        expect(readFileSync(path.join(dir, file)).equals(readFileSync(path.join(first, file)))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('models with external weights fail to load without their side file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'easel-fixture-ext-'));
    try {
      await createFixtureModel(dir, 'sd15-fp16');
      rmSync(path.join(dir, 'unet/weights.pb'));
      await expect(ort.InferenceSession.create(path.join(dir, 'unet/model.onnx'))).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
