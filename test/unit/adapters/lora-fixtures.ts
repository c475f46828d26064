/**
 * LoRA files built the way trainers write them, and an independent reference for what merging them must
 * give: the base model decoded with onnx-proto, the expected weights computed here from the LoRA formula,
 * and a plain model file (every weight inline) rebuilt from them for ONNX Runtime to run.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { float16ToFloat32, float32ToFloat16 } from '../../../src-main/core/runtime/float16';
import { f32, type TensorToWrite } from '../../fixtures/safetensors';
import { SeededRandom } from '../../fixtures/onnx/graph';

export interface LayerSpec {
  /** Tensor name prefix, e.g. `lora_unet_down_blocks_0_resnets_0_conv1` or `unet.down_blocks.0….to_q`. */
  prefix: string;
  format: 'kohya' | 'peft';
  rank: number;
  /** [in] for a Linear, [in, kh, kw] for a convolution. */
  inShape: number[];
  out: number;
  alpha?: number;
  /** The model initializer this layer must change and how it is stored. */
  target: { initializer: string; layout: 'in_out' | 'out_in' };
}

export interface BuiltLayer extends LayerSpec {
  down: Float32Array;
  up: Float32Array;
}

export function buildLayers(seed: string, specs: LayerSpec[]): { tensors: Record<string, TensorToWrite>; layers: BuiltLayer[] } {
  const random = new SeededRandom(seed);
  const tensors: Record<string, TensorToWrite> = {};
  const layers: BuiltLayer[] = [];
  for (const spec of specs) {
    const inner = spec.inShape.reduce((a, b) => a * b, 1);
    const down = random.array(spec.rank * inner, 0.5);
    const up = random.array(spec.out * spec.rank, 0.5);
    const conv = spec.inShape.length > 1;
    const downShape = [spec.rank, ...spec.inShape];
    const upShape = conv ? [spec.out, spec.rank, 1, 1] : [spec.out, spec.rank];
    if (spec.format === 'kohya') {
      tensors[`${spec.prefix}.lora_down.weight`] = f32(down, downShape);
      tensors[`${spec.prefix}.lora_up.weight`] = f32(up, upShape);
      if (spec.alpha !== undefined) tensors[`${spec.prefix}.alpha`] = f32([spec.alpha], []);
    } else {
      tensors[`${spec.prefix}.lora_A.weight`] = f32(down, downShape);
      tensors[`${spec.prefix}.lora_B.weight`] = f32(up, upShape);
      if (spec.alpha !== undefined) tensors[`${spec.prefix}.alpha`] = f32([spec.alpha], []);
    }
    layers.push({ ...spec, down, up });
  }
  return { tensors, layers };
}

/** The model at `file` decoded, every external weight read into it. */
export function decodeInline(file: string): onnx.ModelProto {
  const model = onnx.ModelProto.decode(readFileSync(file));
  for (const tensor of initializers(model)) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entries = Object.fromEntries((tensor.externalData ?? []).map((entry) => [entry.key, entry.value]));
    const data = readFileSync(path.join(path.dirname(file), entries.location!));
    const offset = Number(entries.offset ?? 0);
    tensor.rawData = data.subarray(offset, offset + Number(entries.length));
    tensor.externalData = [];
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  }
  return model;
}

export function initializers(model: onnx.ModelProto): onnx.ITensorProto[] {
  return model.graph?.initializer ?? [];
}

export function nodes(model: onnx.ModelProto): onnx.INodeProto[] {
  return model.graph?.node ?? [];
}

function findInitializer(model: onnx.ModelProto, name: string): onnx.ITensorProto {
  const tensor = initializers(model).find((candidate) => candidate.name === name);
  if (tensor === undefined) throw new Error(`no initializer ${name}`);
  return tensor;
}

export function initializerValues(model: onnx.ModelProto, name: string): Float32Array {
  const tensor = findInitializer(model, name);
  if (tensor.floatData && tensor.floatData.length > 0) return Float32Array.from(tensor.floatData);
  const bytes = Buffer.from(tensor.rawData ?? new Uint8Array());
  if (tensor.dataType === onnx.TensorProto.DataType.FLOAT16) {
    return float16ToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2));
  }
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

/**
 * W + scale·(alpha/rank)·up·down for each layer in order, written index by index in the target's layout;
 * for float16 weights each LoRA's delta is rounded and the sum rounded, as a float16 pipeline fuses.
 */
export function expectedWeights(
  model: onnx.ModelProto,
  loras: Array<{ layers: BuiltLayer[]; scale: number }>,
): Map<string, Float32Array> {
  const result = new Map<string, Float32Array>();
  for (const { layers, scale } of loras) {
    for (const layer of layers) {
      const name = layer.target.initializer;
      const tensor = findInitializer(model, name);
      const half = tensor.dataType === onnx.TensorProto.DataType.FLOAT16;
      const weight = result.get(name) ?? Float32Array.from(initializerValues(model, name));
      const inner = layer.inShape.reduce((a, b) => a * b, 1);
      const factor = (scale * (layer.alpha ?? layer.rank)) / layer.rank;
      for (let o = 0; o < layer.out; o++) {
        for (let j = 0; j < inner; j++) {
          let sum = 0;
          for (let r = 0; r < layer.rank; r++) sum += layer.up[o * layer.rank + r]! * layer.down[r * inner + j]!;
          const index = layer.target.layout === 'out_in' ? o * inner + j : j * layer.out + o;
          const delta = Math.fround(sum * factor);
          weight[index] = half ? roundHalf(weight[index]! + roundHalf(delta)) : weight[index]! + delta;
        }
      }
      result.set(name, weight);
    }
  }
  return result;
}

function roundHalf(value: number): number {
  return float16ToFloat32(float32ToFloat16(Float32Array.of(value)))[0]!;
}

/** A plain model file holding `weights` in place of the base model's, for ONNX Runtime to run as the reference. */
export async function writeReferenceModel(model: onnx.ModelProto, weights: Map<string, Float32Array>, dir: string): Promise<string> {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  for (const tensor of initializers(copy)) {
    const values = weights.get(tensor.name ?? '');
    if (values === undefined) continue;
    const data = tensor.dataType === onnx.TensorProto.DataType.FLOAT16 ? float32ToFloat16(values) : values;
    tensor.rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    tensor.floatData = [];
  }
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'model.onnx');
  await writeFile(file, onnx.ModelProto.encode(copy).finish());
  return file;
}
