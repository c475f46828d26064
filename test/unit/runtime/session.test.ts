import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { fromFloat16Bits, toFloat16Bits } from '../../../src-main/core/runtime/float16';
import { checkOnnxFile } from '../../../src-main/core/models/model-folder/onnx-file';
import { type HostTensor, OnnxSession } from '../../../src-main/core/runtime/session';
import { fixtureModel } from '../../fixtures/models';
import { GraphBuilder } from '../../fixtures/onnx/graph';
import { cudaImpossible, webgpuImpossible } from './machine';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-session-'));
const sessions: OnnxSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((session) => session.release()));
  rmSync(temp, { recursive: true, force: true });
});

async function open(modelPath: string, provider: 'cpu' | 'webgpu' | 'cuda' = 'cpu'): Promise<OnnxSession> {
  const session = await OnnxSession.create(modelPath, provider);
  sessions.push(session);
  return session;
}

async function component(kind: Parameters<typeof fixtureModel>[0], name: string): Promise<string> {
  return path.join(await fixtureModel(kind), name, 'model.onnx');
}

function latents(batch = 2, side = 8): HostTensor {
  return { data: Float32Array.from({ length: batch * 4 * side * side }, (_, i) => Math.sin(i * 0.3)), dims: [batch, 4, side, side] };
}

function context(width: number, batch = 2): HostTensor {
  return { data: Float32Array.from({ length: batch * 77 * width }, (_, i) => Math.cos(i * 0.01)), dims: [batch, 77, width] };
}

async function rejection(promise: Promise<unknown>): Promise<EaselError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(EaselError);
  return error as EaselError;
}

describe('OnnxSession on CPU', () => {
  it('exposes the model interface', async () => {
    const session = await open(await component('sd15-legacy', 'unet'));
    expect(session.provider).toBe('cpu');
    expect(session.inputs.map(({ name, dtype }) => [name, dtype])).toEqual([
      ['sample', 'float32'],
      ['timestep', 'int64'],
      ['encoder_hidden_states', 'float32'],
    ]);
    expect(session.outputs).toEqual([{ name: 'out_sample', dtype: 'float32', dims: ['batch', 4, 'height', 'width'] }]);
  });

  it('feeds a timestep to an int64 model the same whether given as float, int32 or int64', async () => {
    const session = await open(await component('sd15-legacy', 'unet'));
    const run = (timestep: HostTensor) =>
      session.run({ sample: latents(), timestep, encoder_hidden_states: context(768) }).then((out) => out.out_sample!);
    const fromFloat = await run({ data: Float32Array.of(981), dims: [1] });
    const fromInt32 = await run({ data: Int32Array.of(981), dims: [1] });
    const fromInt64 = await run({ data: BigInt64Array.of(981n), dims: [1] });
    const batched = await run({ data: Float32Array.of(981, 981), dims: [2] });
    const otherStep = await run({ data: Float32Array.of(1), dims: [1] });
    expect(fromFloat.dims).toEqual([2, 4, 8, 8]);
    expect(fromFloat.data).toBeInstanceOf(Float32Array);
    expect(fromInt32.data).toEqual(fromFloat.data);
    expect(fromInt64.data).toEqual(fromFloat.data);
    expect(batched.data).toEqual(fromFloat.data);
    expect(otherStep.data).not.toEqual(fromFloat.data);
  });

  it('reshapes a [1] timestep for a scalar-timestep model, and a scalar for a [1] model', async () => {
    const scalarModel = await open(await component('sd15-optimum', 'unet'));
    expect(scalarModel.inputs.find((input) => input.name === 'timestep')).toEqual({ name: 'timestep', dtype: 'float32', dims: [] });
    const feeds = (timestep: HostTensor) => ({ sample: latents(), timestep, encoder_hidden_states: context(768) });
    const one = await scalarModel.run(feeds({ data: Float32Array.of(500), dims: [1] }));
    const scalar = await scalarModel.run(feeds({ data: Float32Array.of(500), dims: [] }));
    const fromInt = await scalarModel.run(feeds({ data: BigInt64Array.of(500n), dims: [1] }));
    expect(one.out_sample!.data).toEqual(scalar.out_sample!.data);
    expect(fromInt.out_sample!.data).toEqual(scalar.out_sample!.data);

    const rankOneModel = await open(await component('sd21', 'unet'));
    const sd21 = { sample: latents(), encoder_hidden_states: context(1024) };
    const fromScalar = await rankOneModel.run({ ...sd21, timestep: { data: Float32Array.of(500), dims: [] } });
    expect(fromScalar.out_sample!.dims).toEqual([2, 4, 8, 8]);
  });

  it('casts token ids to the int type each text encoder declares', async () => {
    const ids = Array.from({ length: 77 }, (_, i) => (i === 0 ? 518 : i < 3 ? 320 + i : 519));
    for (const kind of ['sd15-legacy', 'sd15-optimum'] as const) {
      const session = await open(await component(kind, 'text_encoder'));
      const asInt32 = await session.run({ input_ids: { data: Int32Array.from(ids), dims: [1, 77] } });
      const asInt64 = await session.run({ input_ids: { data: BigInt64Array.from(ids, BigInt), dims: [1, 77] } });
      expect(asInt32.last_hidden_state!.dims).toEqual([1, 77, 768]);
      expect(asInt32.last_hidden_state!.data).toEqual(asInt64.last_hidden_state!.data);
    }
  });

  it('runs a float16 model from float32 data and returns float32', async () => {
    const session = await open(await component('sd15-fp16', 'unet'));
    expect(session.inputs.map((input) => input.dtype)).toEqual(['float16', 'float16', 'float16']);
    const out = await session.run({
      sample: latents(),
      timestep: { data: Float32Array.of(500), dims: [1] },
      encoder_hidden_states: context(768),
    });
    const values = out.out_sample!.data as Float32Array;
    expect(values).toBeInstanceOf(Float32Array);
    expect(values.every(Number.isFinite)).toBe(true);
    // Every value came back from float16: converting it again changes nothing.
    expect(values.every((value) => fromFloat16Bits(toFloat16Bits(value)) === value)).toBe(true);
  });

  it('round-trips float16 edge values through a real float16 session exactly', async () => {
    const graph = new GraphBuilder('identity16', 'float16');
    graph.output('y', graph.input('x', 'float16', ['n']), 'float16', ['n']);
    const file = path.join(temp, 'identity16', 'model.onnx');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, graph.build().model);
    const session = await open(file);
    const input = Float32Array.of(1 / 3, 65504, 65520, 1e-8, 2 ** -24, 3 * 2 ** -25, -0, Infinity, -Infinity, NaN, 1 + 2 ** -11);
    const out = (await session.run({ x: { data: input, dims: [input.length] } }, ['y'])).y!.data as Float32Array;
    const expected = Array.from(input, (value) => fromFloat16Bits(toFloat16Bits(value)));
    expect(Array.from(out)).toEqual(expected);
    expect(expected.slice(0, 6)).toEqual([0.333251953125, 65504, Infinity, 0, 2 ** -24, 2 ** -23]);
    expect(Object.is(out[6], -0)).toBe(true);
  });

  it('feeds float16 bit patterns as they are and gives float16 outputs back as bit patterns when asked', async () => {
    const graph = new GraphBuilder('identity16', 'float16');
    graph.output('y', graph.input('x', 'float16', ['n']), 'float16', ['n']);
    const file = path.join(temp, 'identity16-bits', 'model.onnx');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, graph.build().model);
    const session = await open(file);
    const halves = Uint16Array.of(0x3c00, 0x0001, 0x8000, 0x7bff, 0xfc00, 0x7e01, 0x3555);
    const bits = (await session.run({ x: { data: halves, dims: [halves.length] } }, ['y'], { float16Bits: true })).y!.data;
    expect(bits).toBeInstanceOf(Uint16Array);
    expect(Array.from(bits as Uint16Array).slice(0, 5)).toEqual([0x3c00, 0x0001, 0x8000, 0x7bff, 0xfc00]);
    expect(bits[6]).toBe(0x3555);
    const floats = (await session.run({ x: { data: halves, dims: [halves.length] } }, ['y'])).y!.data as Float32Array;
    expect(Array.from(floats.subarray(0, 5))).toEqual([1, 2 ** -24, -0, 65504, -Infinity]);
  });

  it('converts a feed marked constant once and reuses it; unmarked feeds are read afresh every run', async () => {
    const graph = new GraphBuilder('identity16', 'float16');
    graph.output('y', graph.input('x', 'float16', ['n']), 'float16', ['n']);
    const file = path.join(temp, 'identity16-constant', 'model.onnx');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, graph.build().model);
    const session = await open(file);
    const constant: HostTensor = { data: Float32Array.of(1, 2, 3), dims: [3], constant: true };
    const plain: HostTensor = { data: Float32Array.of(1, 2, 3), dims: [3] };
    const run = async (feed: HostTensor) => Array.from((await session.run({ x: feed }, ['y'])).y!.data as Float32Array);
    expect(await run(constant)).toEqual([1, 2, 3]);
    expect(await run(plain)).toEqual([1, 2, 3]);
    // Breaking the promise shows what the session kept: the first conversion.
    (constant.data as Float32Array).fill(9);
    (plain.data as Float32Array).fill(9);
    expect(await run(constant)).toEqual([1, 2, 3]);
    expect(await run(plain)).toEqual([9, 9, 9]);
  });

  it('returns only the outputs asked for', async () => {
    const session = await open(await component('sdxl', 'text_encoder_2'));
    const ids = { data: Int32Array.from({ length: 77 }, (_, i) => (i < 4 ? 500 + i : 49407)), dims: [1, 77] };
    const out = await session.run({ input_ids: ids }, ['text_embeds', 'hidden_states.31']);
    expect(Object.keys(out).sort()).toEqual(['hidden_states.31', 'text_embeds']);
    expect(out.text_embeds!.dims).toEqual([1, 1280]);
    expect(out['hidden_states.31']!.dims).toEqual([1, 77, 1280]);
  });

  it('explains bad feeds and runtime failures as inference_failed', async () => {
    const session = await open(await component('sd15-legacy', 'unet'));
    const good = { sample: latents(), timestep: { data: Float32Array.of(1), dims: [1] }, encoder_hidden_states: context(768) };
    const { sample: _sample, ...missing } = good;
    expect((await rejection(session.run(missing))).message).toMatch(/input sample was not given/);
    expect((await rejection(session.run({ ...good, extra: good.timestep }))).message).toMatch(/no input named extra/);
    expect((await rejection(session.run(good, ['nope']))).message).toMatch(/no output named nope/);
    const wrongCount = await rejection(session.run({ ...good, sample: { data: new Float32Array(3), dims: [2, 4, 8, 8] } }));
    expect(wrongCount.code).toBe('inference_failed');
    const wrongWidth = await rejection(session.run({ ...good, encoder_hidden_states: context(512) }));
    expect(wrongWidth.code).toBe('inference_failed');
    expect(wrongWidth.message).toMatch(/the unet of sd15-legacy failed on CPU/);
  });

  it('refuses to run after release, and releasing twice is harmless', async () => {
    const session = await OnnxSession.create(await component('sd15-legacy', 'vae_decoder'), 'cpu');
    const latent = { data: new Float32Array(4 * 2 * 2), dims: [1, 4, 2, 2] };
    expect((await session.run({ latent_sample: latent })).sample!.dims).toEqual([1, 3, 16, 16]);
    await session.release();
    await session.release();
    expect(session.isReleased).toBe(true);
    expect((await rejection(session.run({ latent_sample: latent }))).code).toBe('inference_failed');
  });
});

describe('GPU providers on this machine', () => {
  it.runIf(webgpuImpossible)('WebGPU really fails to start, with a clear error', async () => {
    const error = await rejection(open(await component('sd15-legacy', 'unet'), 'webgpu'));
    expect(error.code).toBe('provider_failed');
    expect(error.message).toBe('WebGPU: no compatible graphics adapter on this computer');
    // The runtime's own words stay in the detail, for the log.
    expect(error.detail).toMatchObject({ provider: 'webgpu', reason: expect.stringMatching(/adapter/) });
  });

  it.runIf(cudaImpossible)('CUDA really fails to start, with a clear error', async () => {
    const error = await rejection(open(await component('sd15-legacy', 'unet'), 'cuda'));
    expect(error.code).toBe('provider_failed');
    expect(error.message).toBe('CUDA: the CUDA provider is not installed (see README)');
    expect(error.detail).toMatchObject({ provider: 'cuda', reason: expect.stringMatching(/shared library/) });
  });
});

describe('model safety', () => {
  /** A one-MatMul model whose weight lives in an external file at `location` (relative to model.onnx). */
  function externalModel(name: string, location: string): { dir: string; modelPath: string; data: Uint8Array } {
    const graph = new GraphBuilder('external');
    const x = graph.input('x', 'float32', [1, 4]);
    graph.output('y', graph.matmul(x, graph.floats([4, 4], Array.from({ length: 16 }, (_, i) => i), { external: true })), 'float32', [1, 4]);
    const built = graph.build({ externalDataFile: location });
    const dir = path.join(temp, name, 'unet');
    mkdirSync(dir, { recursive: true });
    const modelPath = path.join(dir, 'model.onnx');
    writeFileSync(modelPath, built.model);
    return { dir, modelPath, data: built.externalData!.bytes };
  }

  it('loads external weights that sit inside the model folder', async () => {
    const { dir, modelPath, data } = externalModel('inside', 'weights/unet.bin');
    mkdirSync(path.join(dir, 'weights'));
    writeFileSync(path.join(dir, 'weights/unet.bin'), data);
    expect(checkOnnxFile(modelPath).externalData).toEqual([
      { location: 'weights/unet.bin', offset: 0, length: 64, tensor: expect.any(String) },
    ]);
    const session = await open(modelPath);
    const out = await session.run({ x: { data: Float32Array.of(1, 0, 0, 0), dims: [1, 4] } });
    expect(out.y!.data).toEqual(Float32Array.of(0, 1, 2, 3));
  });

  it.each([
    ['parent', '../outside.bin'],
    ['nested-parent', 'weights/../../outside.bin'],
    ['absolute', '/etc/passwd'],
    ['windows-absolute', 'C:\\Windows\\win.ini'],
    ['backslash-parent', '..\\outside.bin'],
  ])('refuses an external-data location that leaves the folder (%s)', async (name, location) => {
    const { modelPath, data } = externalModel(`unsafe-${name}`, location);
    writeFileSync(path.join(temp, `unsafe-${name}`, 'outside.bin'), data);
    const error = await rejection(OnnxSession.create(modelPath, 'cpu'));
    expect(error.code).toBe('model_unsafe');
    expect(error.message).toContain(location);
  });

  it('refuses a weights file that is a symlink to somewhere outside the folder', async () => {
    const { dir, modelPath, data } = externalModel('symlink', 'model.onnx_data');
    const outside = path.join(temp, 'symlink', 'secret.bin');
    writeFileSync(outside, data);
    symlinkSync(outside, path.join(dir, 'model.onnx_data'));
    expect((await rejection(OnnxSession.create(modelPath, 'cpu'))).code).toBe('model_unsafe');
  });

  it('reports missing or truncated weights as an invalid model', async () => {
    const missing = externalModel('missing', 'model.onnx_data');
    const missingError = await rejection(OnnxSession.create(missing.modelPath, 'cpu'));
    expect(missingError.code).toBe('model_invalid');
    expect(missingError.message).toMatch(/missing/);

    const short = externalModel('short', 'model.onnx_data');
    writeFileSync(path.join(short.dir, 'model.onnx_data'), short.data.subarray(0, 10));
    expect((await rejection(OnnxSession.create(short.modelPath, 'cpu'))).message).toMatch(/shorter/);
  });

  it('refuses nodes from a custom operator domain', async () => {
    const graph = new GraphBuilder('custom');
    graph.output('y', graph.tanh(graph.input('x', 'float32', [2])), 'float32', [2]);
    const model = onnx.ModelProto.decode(graph.build().model);
    model.graph!.node![0]!.domain = 'ai.onnx.contrib';
    model.opsetImport!.push({ domain: 'ai.onnx.contrib', version: 1 });
    const file = path.join(temp, 'custom', 'model.onnx');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    const error = await rejection(OnnxSession.create(file, 'cpu'));
    expect(error.code).toBe('model_unsafe');
    expect(error.message).toContain('ai.onnx.contrib');
  });

  it('reports a file that is not ONNX, or cut short, as an invalid model', async () => {
    const text = path.join(temp, 'text', 'model.onnx');
    mkdirSync(path.dirname(text), { recursive: true });
    writeFileSync(text, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    expect((await rejection(OnnxSession.create(text, 'cpu'))).code).toBe('model_invalid');

    const cut = path.join(temp, 'cut', 'unet');
    cpSync(path.dirname(await component('sd15-legacy', 'unet')), cut, { recursive: true });
    truncateSync(path.join(cut, 'model.onnx'), 1000);
    expect((await rejection(OnnxSession.create(path.join(cut, 'model.onnx'), 'cpu'))).code).toBe('model_invalid');

    expect((await rejection(OnnxSession.create(path.join(temp, 'nowhere', 'model.onnx'), 'cpu'))).code).toBe('model_invalid');
  });

  it('scans real fixture models with external data as safe', async () => {
    const report = checkOnnxFile(await component('sdxl', 'unet'));
    expect(report.externalData.length).toBeGreaterThan(0);
    expect(new Set(report.externalData.map((ref) => ref.location))).toEqual(new Set(['model.onnx_data']));
    expect(report.nodeDomains).toEqual(['']);
  });
});
