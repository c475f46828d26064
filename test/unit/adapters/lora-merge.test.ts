import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelAdapters } from '../../../src-main/core/adapters/model-adapters';
import { EaselError } from '../../../src-main/core/errors';
import { type HostTensor, OnnxSession } from '../../../src-main/core/runtime/session';
import { type FixtureKind, fixtureModel } from '../../fixtures/models';
import { writeSafetensors } from '../../fixtures/safetensors';
import { buildLayers, decodeInline, expectedWeights, initializerValues, type LayerSpec, nodes, writeReferenceModel } from './lora-fixtures';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-lora-'));
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup) await step();
  rmSync(temp, { recursive: true, force: true });
});

const ATTN = 'down_blocks.0.attentions.0.transformer_blocks.0.attn2';
const ATTN_SCOPE = '/down_blocks.0/attentions.0/transformer_blocks.0/attn2';
const TEXT_Q = 'text_model.encoder.layers.0.self_attn.q_proj';

/** The weight input of the node a real export names after the module. */
function weightOf(model: onnx.ModelProto, nodeName: string): string {
  const weight = nodes(model).find((candidate) => candidate.name === nodeName)?.input?.[1];
  if (weight === undefined) throw new Error(`no node ${nodeName}`);
  return weight;
}

function unetSpecs(model: onnx.ModelProto, format: 'kohya' | 'peft', contextWidth: number): LayerSpec[] {
  const matmul = (module: string) => ({ initializer: weightOf(model, `${ATTN_SCOPE}/${module}/MatMul`), layout: 'in_out' as const });
  const name = (module: string) => (format === 'kohya' ? `lora_unet_${`${ATTN}.${module}`.replaceAll('.', '_')}` : `unet.${ATTN}.${module}`);
  return [
    { prefix: name('to_q'), format, rank: 2, inShape: [4], out: 8, alpha: 1, target: matmul('to_q') },
    { prefix: name('to_k'), format, rank: 4, inShape: [contextWidth], out: 8, target: matmul('to_k') },
    { prefix: name('to_out.0'), format, rank: 3, inShape: [8], out: 4, alpha: 6, target: matmul('to_out.0') },
  ];
}

function conv(format: 'kohya' | 'peft'): LayerSpec {
  return {
    prefix: format === 'kohya' ? 'lora_unet_down_blocks_0_resnets_0_conv1' : 'unet.down_blocks.0.resnets.0.conv1',
    format,
    rank: 2,
    inShape: [4, 3, 3],
    out: 4,
    alpha: 1,
    target: { initializer: 'down_blocks.0.resnets.0.conv1.weight', layout: 'out_in' },
  };
}

function feeds(contextWidth: number): Record<string, HostTensor> {
  return {
    sample: { data: Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i * 0.37)), dims: [2, 4, 8, 8] },
    timestep: { data: Float32Array.of(500), dims: [1] },
    encoder_hidden_states: { data: Float32Array.from({ length: 2 * 77 * contextWidth }, (_, i) => Math.cos(i * 0.013)), dims: [2, 77, contextWidth] },
  };
}

async function session(file: string, bytes?: Uint8Array): Promise<OnnxSession> {
  const created = bytes ? await OnnxSession.createFromBytes(file, bytes, 'cpu') : await OnnxSession.create(file, 'cpu');
  cleanup.push(() => created.release());
  return created;
}

async function loraFile(name: string, specs: LayerSpec[], metadata?: Record<string, string>) {
  const { tensors, layers } = buildLayers(name, specs);
  const file = path.join(temp, `${name}.safetensors`);
  await writeSafetensors(file, tensors, metadata);
  return { file, layers };
}

async function openStack(dir: string, requests: Array<{ file: string; scale: number }>): Promise<ModelAdapters> {
  const stack = await ModelAdapters.open(dir, { loras: requests, embeddings: [], vocabSizes: {} });
  cleanup.push(() => stack.close());
  return stack;
}

describe('LoRAs merged into the UNet in memory', () => {
  const cases: Array<[FixtureKind, number, number]> = [
    // kind, context width, tolerance (float16 weights and activations are compared at float16 precision)
    ['sd15-optimum', 768, 1e-5],
    ['sd15-legacy', 768, 1e-5],
    ['sd15-fp16', 768, 2e-3],
  ];
  it.each(cases)('%s: kohya and PEFT LoRAs with their own scales give the weights and the output of W + s·(α/r)·up·down', async (kind, width, tolerance) => {
    const dir = await fixtureModel(kind);
    const unetFile = path.join(dir, 'unet', 'model.onnx');
    const base = decodeInline(unetFile);
    const kohya = await loraFile(`kohya-${kind}`, [...unetSpecs(base, 'kohya', width), conv('kohya')]);
    const peft = await loraFile(`peft-${kind}`, [unetSpecs(base, 'peft', width)[0]!, conv('peft')]);
    const before = statSync(unetFile).mtimeMs;

    const stack = await openStack(dir, [
      { file: kohya.file, scale: 0.7 },
      { file: peft.file, scale: -1.3 },
    ]);
    expect(stack.changes('unet')).toBe(true);
    expect(stack.changes('text_encoder')).toBe(false);
    const merged = await stack.mergedModel('unet');

    const expected = expectedWeights(base, [
      { layers: kohya.layers, scale: 0.7 },
      { layers: peft.layers, scale: -1.3 },
    ]);
    const patched = onnx.ModelProto.decode(merged);
    for (const [name, values] of expected) {
      const actual = initializerValues(patched, name);
      expect(actual.length).toBe(values.length);
      const worst = Math.max(...actual.map((value, i) => Math.abs(value - values[i]!)));
      expect(worst, name).toBeLessThanOrEqual(kind === 'sd15-fp16' ? 0 : 1e-6);
      const original = initializerValues(base, name);
      expect(Math.max(...actual.map((value, i) => Math.abs(value - original[i]!))), `${name} changed`).toBeGreaterThan(1e-3);
    }
    // Only the changed weights are carried; the rest are read from the files on disk.
    expect(merged.length).toBeLessThan(64 * 1024);

    const reference = await writeReferenceModel(base, expected, path.join(temp, `reference-${kind}`, 'unet'));
    const mergedSession = await session(unetFile, merged);
    const referenceSession = await session(reference);
    const [ours, theirs] = await Promise.all([mergedSession.run(feeds(width)), referenceSession.run(feeds(width))]);
    const a = ours.out_sample!.data as Float32Array;
    const b = theirs.out_sample!.data as Float32Array;
    expect(Math.max(...a.map((value, i) => Math.abs(value - b[i]!)))).toBeLessThanOrEqual(tolerance);
    const plain = await (await session(unetFile)).run(feeds(width));
    const unchanged = plain.out_sample!.data as Float32Array;
    expect(Math.max(...a.map((value, i) => Math.abs(value - unchanged[i]!)))).toBeGreaterThan(1e-3);
    expect(statSync(unetFile).mtimeMs).toBe(before);
  });

  it('merges a text-encoder LoRA (kohya lora_te_) into the text encoder only', async () => {
    const dir = await fixtureModel('sd15-optimum');
    const file = path.join(dir, 'text_encoder', 'model.onnx');
    const base = decodeInline(file);
    const q = weightOf(base, '/text_model/encoder/layers.0/self_attn/q_proj/MatMul');
    const lora = await loraFile('te-only', [
      { prefix: `lora_te_${TEXT_Q.replaceAll('.', '_')}`, format: 'kohya', rank: 2, inShape: [16], out: 16, alpha: 2, target: { initializer: q, layout: 'in_out' } },
    ]);
    const stack = await openStack(dir, [{ file: lora.file, scale: 1 }]);
    expect(stack.changes('unet')).toBe(false);
    const patched = onnx.ModelProto.decode(await stack.mergedModel('text_encoder'));
    const expected = expectedWeights(base, [{ layers: lora.layers, scale: 1 }]).get(q)!;
    const actual = initializerValues(patched, q);
    expect(Math.max(...actual.map((value, i) => Math.abs(value - expected[i]!)))).toBeLessThanOrEqual(1e-6);
  });

  it('applies an SDXL kohya LoRA named in SGM blocks, with lora_te1_/lora_te2_ text encoders', async () => {
    const dir = await fixtureModel('sdxl');
    const unet = decodeInline(path.join(dir, 'unet', 'model.onnx'));
    const te2 = decodeInline(path.join(dir, 'text_encoder_2', 'model.onnx'));
    const q = weightOf(unet, `${ATTN_SCOPE}/to_q/MatMul`);
    const te2q = weightOf(te2, '/text_model/encoder/layers.0/self_attn/q_proj/MatMul');
    const lora = await loraFile('sdxl-sgm', [
      { prefix: 'lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_q', format: 'kohya', rank: 2, inShape: [4], out: 8, alpha: 1, target: { initializer: q, layout: 'in_out' } },
      { prefix: 'lora_unet_input_blocks_1_0_in_layers_2', format: 'kohya', rank: 2, inShape: [4, 3, 3], out: 4, target: { initializer: 'down_blocks.0.resnets.0.conv1.weight', layout: 'out_in' } },
      { prefix: `lora_te2_${TEXT_Q.replaceAll('.', '_')}`, format: 'kohya', rank: 2, inShape: [8], out: 8, alpha: 4, target: { initializer: te2q, layout: 'in_out' } },
    ]);
    const stack = await openStack(dir, [{ file: lora.file, scale: 0.5 }]);
    expect([stack.changes('unet'), stack.changes('text_encoder'), stack.changes('text_encoder_2')]).toEqual([true, false, true]);
    const expectedUnet = expectedWeights(unet, [{ layers: lora.layers.slice(0, 2), scale: 0.5 }]);
    const patchedUnet = onnx.ModelProto.decode(await stack.mergedModel('unet'));
    for (const [name, values] of expectedUnet) {
      const actual = initializerValues(patchedUnet, name);
      expect(Math.max(...actual.map((value, i) => Math.abs(value - values[i]!))), name).toBeLessThanOrEqual(1e-6);
    }
    const patchedTe2 = onnx.ModelProto.decode(await stack.mergedModel('text_encoder_2'));
    const expectedTe2 = expectedWeights(te2, [{ layers: lora.layers.slice(2), scale: 0.5 }]).get(te2q)!;
    const actual = initializerValues(patchedTe2, te2q);
    expect(Math.max(...actual.map((value, i) => Math.abs(value - expectedTe2[i]!)))).toBeLessThanOrEqual(1e-6);
  });

  it('refuses a LoRA whose layers exist nowhere in the model, naming the base it was made for', async () => {
    const dir = await fixtureModel('sd15-optimum');
    const lora = await loraFile(
      'sdxl-only',
      [{ prefix: 'lora_unet_output_blocks_0_1_transformer_blocks_3_attn1_to_q', format: 'kohya', rank: 2, inShape: [1280], out: 1280, target: { initializer: 'x', layout: 'in_out' } }],
      { ss_base_model_version: 'sdxl_base_v1-0', ss_sd_model_name: 'sd_xl_base_1.0.safetensors' },
    );
    const error = await ModelAdapters.open(dir, { loras: [{ file: lora.file, scale: 1 }], embeddings: [], vocabSizes: {} }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('model_invalid');
    expect((error as EaselError).message).toContain('sdxl-only');
    expect((error as EaselError).message).toContain('sdxl_base_v1-0 (sd_xl_base_1.0.safetensors)');
  });

  it('refuses a LoRA whose layer has the right name but the wrong size', async () => {
    const dir = await fixtureModel('sd15-optimum');
    const lora = await loraFile('wrong-size', [
      { prefix: `lora_unet_${ATTN.replaceAll('.', '_')}_to_k`, format: 'kohya', rank: 2, inShape: [1024], out: 8, target: { initializer: 'x', layout: 'in_out' } },
    ], { 'modelspec.architecture': 'stable-diffusion-v2-768-v/lora' });
    const error = await openStack(dir, [{ file: lora.file, scale: 1 }]).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).message).toMatch(/wrong-size does not fit this model.*stable-diffusion-v2-768-v\/lora/);
  });
});
