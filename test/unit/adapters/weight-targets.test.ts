import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelAdapters } from '../../../src-main/core/adapters/model-adapters';
import { indexOnnxGraph } from '../../../src-main/core/adapters/onnx-weights';
import { findWeightTargets } from '../../../src-main/core/adapters/weight-targets';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { GraphBuilder, SeededRandom } from '../../fixtures/onnx/graph';
import { writeSafetensors } from '../../fixtures/safetensors';
import { buildLayers, decodeInline, expectedWeights, initializers, writeReferenceModel } from './lora-fixtures';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-targets-'));
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup) await step();
  rmSync(temp, { recursive: true, force: true });
});

/**
 * A UNet-shaped graph with the other ways exports store a layer's weight: a Gemm with transB (torch's
 * [out, in]), a MatMul fed by a Transpose of a named [out, in] weight, a 1×1 Conv (SD 1.x proj_in), and a
 * weight written as float_data instead of raw bytes.
 */
function buildVariants(): string {
  const g = new GraphBuilder('unet');
  const random = new SeededRandom('variants');
  const x = g.input('x', 'float32', [2, 6]);
  const gemm = g.op('Gemm', [x, g.weight(random, [5, 6], { name: 'time_embedding.linear_1.weight' }), g.weight(random, [5])], { transB: 1 }, '/time_embedding/linear_1/Gemm');
  const transposed = g.op('Transpose', [g.weight(random, [4, 5], { name: 'add_embedding.linear_1.weight' })], { perm: [1, 0] }, '/add_embedding/linear_1/Transpose');
  const linear = g.matmul(gemm, transposed, '/add_embedding/linear_1/MatMul');
  const image = g.reshape(linear, [2, 4, 1, 1]);
  const conv = g.op('Conv', [image, g.weight(random, [3, 4, 1, 1], { name: 'down_blocks.0.attentions.0.proj_in.weight' })], {}, '/down_blocks.0/attentions.0/proj_in/Conv');
  const flat = g.reshape(conv, [2, 3]);
  const last = g.matmul(flat, g.weight(random, [3, 2], { name: 'onnx::MatMul_77' }), '/mid_block/attentions.0/proj_out/MatMul');
  g.output('y', last, 'float32', [2, 2]);
  const model = onnx.ModelProto.decode(g.build().model);
  const floatData = initializers(model).find((tensor) => tensor.name === 'onnx::MatMul_77')!;
  const bytes = Buffer.from(floatData.rawData!);
  floatData.floatData = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
  floatData.rawData = null;
  const dir = path.join(temp, 'model');
  mkdirSync(path.join(dir, 'unet'), { recursive: true });
  writeFileSync(path.join(dir, 'unet', 'model.onnx'), onnx.ModelProto.encode(model).finish());
  return dir;
}

describe('finding a layer’s weight in the graph', () => {
  it('follows Gemm, Transpose-fed MatMul, 1×1 Conv and float_data weights to their initializer and layout', async () => {
    const dir = buildVariants();
    const targets = findWeightTargets(await indexOnnxGraph(path.join(dir, 'unet', 'model.onnx')));
    expect([...targets.byModule].map(([module, target]) => [module, target.initializer.name, target.layout])).toEqual([
      ['time_embedding.linear_1', 'time_embedding.linear_1.weight', 'out_in'],
      ['add_embedding.linear_1', 'add_embedding.linear_1.weight', 'out_in'],
      ['down_blocks.0.attentions.0.proj_in', 'down_blocks.0.attentions.0.proj_in.weight', 'out_in'],
      ['mid_block.attentions.0.proj_out', 'onnx::MatMul_77', 'in_out'],
    ]);

    const { tensors, layers } = buildLayers('variants-lora', [
      { prefix: 'unet.add_embedding.linear_1', format: 'peft', rank: 2, inShape: [5], out: 4, target: { initializer: 'add_embedding.linear_1.weight', layout: 'out_in' } },
      { prefix: 'lora_unet_down_blocks_0_attentions_0_proj_in', format: 'kohya', rank: 2, inShape: [4, 1, 1], out: 3, alpha: 1, target: { initializer: 'down_blocks.0.attentions.0.proj_in.weight', layout: 'out_in' } },
      { prefix: 'lora_unet_mid_block_attentions_0_proj_out', format: 'kohya', rank: 1, inShape: [3], out: 2, alpha: 0.5, target: { initializer: 'onnx::MatMul_77', layout: 'in_out' } },
    ]);
    const file = path.join(temp, 'variants.safetensors');
    await writeSafetensors(file, tensors);
    const stack = await ModelAdapters.open(dir, { loras: [{ file, scale: 0.8 }], embeddings: [], vocabSizes: {} });
    cleanup.push(() => stack.close());
    const unetFile = path.join(dir, 'unet', 'model.onnx');
    const merged = await OnnxSession.createFromBytes(unetFile, await stack.mergedModel('unet'), 'cpu');
    const base = decodeInline(unetFile);
    const reference = await OnnxSession.create(
      await writeReferenceModel(base, expectedWeights(base, [{ layers, scale: 0.8 }]), path.join(temp, 'reference', 'unet')),
      'cpu',
    );
    const plain = await OnnxSession.create(unetFile, 'cpu');
    cleanup.push(() => merged.release(), () => reference.release(), () => plain.release());
    const feeds = { x: { data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)), dims: [2, 6] } };
    const [ours, theirs, untouched] = await Promise.all([merged.run(feeds), reference.run(feeds), plain.run(feeds)]);
    const a = ours.y!.data as Float32Array;
    const b = theirs.y!.data as Float32Array;
    const c = untouched.y!.data as Float32Array;
    expect(Math.max(...a.map((value, i) => Math.abs(value - b[i]!)))).toBeLessThan(1e-5);
    expect(Math.max(...a.map((value, i) => Math.abs(value - c[i]!)))).toBeGreaterThan(1e-3);
  });
});
