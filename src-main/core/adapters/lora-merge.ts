import { EaselError } from '../errors';
import { float16ToFloat32, float32ToFloat16 } from '../runtime/float16';
import type { Lora, LoraComponent, LoraLayerKeys } from './lora';
import { type InitializerValue, ONNX_FLOAT16, type OnnxGraphIndex, readInitializerFloats } from './onnx-weights';
import type { WeightTarget, WeightTargets } from './weight-targets';

/**
 * Merges LoRAs into a model part's weights as diffusers' `fuse_lora` does:
 *   W' = W + scale · (alpha / rank) · up · down
 * with convolution LoRAs flattened to matrices (down [rank, in, kh, kw] → [rank, in·kh·kw], up [out, rank, 1, 1]
 * → [out, rank]) and alpha = rank when the file has none. Several LoRAs are merged one after another, each
 * delta rounded to the weight's type before it is added, so float16 weights stay float16 and match a
 * float16 pipeline fused LoRA by LoRA.
 */

export interface ScaledLora {
  lora: Lora;
  scale: number;
  /** A1111's `<lora:name:text:unet>`: the UNet's own multiplier; `scale` otherwise. */
  unetScale?: number;
}

/** Which target a LoRA layer names in this part, or undefined when the part has no such layer. */
export function targetOf(targets: WeightTargets, layer: LoraLayerKeys): WeightTarget | undefined {
  return layer.underscored ? targets.byUnderscored.get(layer.module) : targets.byModule.get(layer.module);
}

/** The layers of each LoRA that land in this part, keyed by the initializer they change. */
export function matchLayers(
  targets: WeightTargets,
  component: LoraComponent,
  loras: readonly ScaledLora[],
): Map<string, Array<{ target: WeightTarget; layer: LoraLayerKeys; lora: ScaledLora }>> {
  const byInitializer = new Map<string, Array<{ target: WeightTarget; layer: LoraLayerKeys; lora: ScaledLora }>>();
  for (const lora of loras) {
    for (const layer of lora.lora.layers) {
      if (layer.component !== component) continue;
      const target = targetOf(targets, layer);
      if (target === undefined) continue;
      const list = byInitializer.get(target.initializer.name) ?? [];
      list.push({ target, layer, lora });
      byInitializer.set(target.initializer.name, list);
    }
  }
  return byInitializer;
}

/**
 * The merged value of every initializer the LoRAs change in this part. Shapes are checked now; the weights
 * are read and merged when the patched model is assembled.
 */
export function mergeLoras(
  index: OnnxGraphIndex,
  targets: WeightTargets,
  component: LoraComponent,
  loras: readonly ScaledLora[],
): Map<string, InitializerValue> {
  const values = new Map<string, InitializerValue>();
  for (const [name, contributions] of matchLayers(targets, component, loras)) {
    const tensor = contributions[0]!.target.initializer;
    const half = tensor.dataType === ONNX_FLOAT16;
    const steps = contributions
      .map(({ target, layer, lora }) => ({ target, layer, lora: lora.lora, scale: component === 'unet' ? (lora.unetScale ?? lora.scale) : lora.scale }))
      .filter((step) => step.scale !== 0);
    for (const step of steps) checkFit(step.target, step.layer, step.lora);
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    values.set(name, {
      dims: tensor.dims,
      dataType: tensor.dataType,
      byteLength: count * (half ? 2 : 4),
      write: async (into) => {
        let weight = await readInitializerFloats(index, tensor);
        for (const [i, step] of steps.entries()) {
          // A float16 pipeline rounds the weight after each LoRA it fuses.
          if (half && i > 0) weight = float16ToFloat32(float32ToFloat16(weight));
          await addDelta(weight, step.target, step.layer, step.lora, step.scale, half);
        }
        const typed = half ? float32ToFloat16(weight) : weight;
        into.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
      },
    });
  }
  return values;
}

function checkFit(target: WeightTarget, layer: LoraLayerKeys, lora: Lora): void {
  const rank = lora.file.tensor(layer.down).shape[0]!;
  const out = lora.file.tensor(layer.up).shape[0]!;
  const inner = lora.file.tensor(layer.down).shape.reduce((a, b) => a * b, 1) / rank;
  const dims = target.initializer.dims;
  const count = dims.reduce((a, b) => a * b, 1);
  const fits = count === out * inner && (target.layout === 'out_in' ? dims[0] === out : dims[dims.length - 1] === out);
  if (!fits) {
    throw new EaselError(
      'model_invalid',
      `The LoRA ${lora.name} does not fit this model: its layer ${target.module} is ${out}×${inner} but the model's is [${dims.join(', ')}]` +
        `${lora.baseModel ? ` (the LoRA was made for ${lora.baseModel})` : ''}.`,
      { layer: target.module },
    );
  }
}

/** weight += scale·(alpha/rank)·up·down, row by row of the product, in the weight's layout. */
async function addDelta(weight: Float32Array, target: WeightTarget, layer: LoraLayerKeys, lora: Lora, scale: number, half: boolean): Promise<void> {
  const down = await lora.file.readFloat32(layer.down);
  const up = await lora.file.readFloat32(layer.up);
  const rank = lora.file.tensor(layer.down).shape[0]!;
  const out = lora.file.tensor(layer.up).shape[0]!;
  const inner = down.length / rank;
  const alpha = layer.alpha === undefined ? rank : (await lora.file.readFloat32(layer.alpha))[0]!;
  const factor = (scale * alpha) / rank;
  const row = new Float32Array(inner);
  const outIn = target.layout === 'out_in';
  for (let o = 0; o < out; o++) {
    row.fill(0);
    let r = 0;
    // Four ranks per pass over the row: a quarter of the loads and stores of one at a time.
    for (; r + 4 <= rank; r += 4) {
      const u0 = up[o * rank + r]!;
      const u1 = up[o * rank + r + 1]!;
      const u2 = up[o * rank + r + 2]!;
      const u3 = up[o * rank + r + 3]!;
      const d0 = r * inner;
      const d1 = d0 + inner;
      const d2 = d1 + inner;
      const d3 = d2 + inner;
      for (let j = 0; j < inner; j++) row[j]! += u0 * down[d0 + j]! + u1 * down[d1 + j]! + u2 * down[d2 + j]! + u3 * down[d3 + j]!;
    }
    for (; r < rank; r++) {
      const u = up[o * rank + r]!;
      const d = r * inner;
      for (let j = 0; j < inner; j++) row[j]! += u * down[d + j]!;
    }
    for (let j = 0; j < inner; j++) row[j] = row[j]! * factor;
    const delta = half ? float16ToFloat32(float32ToFloat16(row)) : row;
    if (outIn) {
      const base = o * inner;
      for (let j = 0; j < inner; j++) weight[base + j]! += delta[j]!;
    } else {
      for (let j = 0; j < inner; j++) weight[j * out + o]! += delta[j]!;
    }
  }
}
