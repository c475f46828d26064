import { EaselError } from '../errors';
import { float32ToFloat16, fromFloat16Bits, toFloat16Bits } from '../runtime/float16';
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

/** The merged values of every initializer the LoRAs change in this part. */
export async function mergeLoras(
  index: OnnxGraphIndex,
  targets: WeightTargets,
  component: LoraComponent,
  loras: readonly ScaledLora[],
): Promise<Map<string, InitializerValue>> {
  const values = new Map<string, InitializerValue>();
  for (const [name, contributions] of matchLayers(targets, component, loras)) {
    const tensor = contributions[0]!.target.initializer;
    const weight = await readInitializerFloats(index, tensor);
    const half = tensor.dataType === ONNX_FLOAT16;
    for (const { target, layer, lora } of contributions) {
      const scale = component === 'unet' ? (lora.unetScale ?? lora.scale) : lora.scale;
      if (scale !== 0) await addDelta(weight, target, layer, lora.lora, scale, half);
    }
    const bytes = half ? float32ToFloat16(weight) : weight;
    values.set(name, { dims: tensor.dims, dataType: tensor.dataType, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  }
  return values;
}

async function addDelta(
  weight: Float32Array,
  target: WeightTarget,
  layer: LoraLayerKeys,
  lora: Lora,
  scale: number,
  half: boolean,
): Promise<void> {
  const down = await lora.file.readFloat32(layer.down);
  const up = await lora.file.readFloat32(layer.up);
  const rank = lora.file.tensor(layer.down).shape[0]!;
  const out = lora.file.tensor(layer.up).shape[0]!;
  const inner = down.length / rank;
  const alpha = layer.alpha === undefined ? rank : (await lora.file.readFloat32(layer.alpha))[0]!;
  const dims = target.initializer.dims;
  const fits =
    weight.length === out * inner && (target.layout === 'out_in' ? dims[0] === out : dims[dims.length - 1] === out);
  if (!fits) {
    throw new EaselError(
      'model_invalid',
      `The LoRA ${lora.name} does not fit this model: its layer ${target.module} is ${out}×${inner} but the model's is [${dims.join(', ')}]` +
        `${lora.baseModel ? ` (the LoRA was made for ${lora.baseModel})` : ''}.`,
      { layer: target.module },
    );
  }

  const factor = (scale * alpha) / rank;
  const row = new Float32Array(inner);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let r = 0; r < rank; r++) {
      const u = up[o * rank + r]!;
      if (u === 0) continue;
      const offset = r * inner;
      for (let j = 0; j < inner; j++) row[j]! += u * down[offset + j]!;
    }
    for (let j = 0; j < inner; j++) {
      const at = target.layout === 'out_in' ? o * inner + j : j * out + o;
      const delta = Math.fround(row[j]! * factor);
      weight[at] = half ? roundHalf(weight[at]! + roundHalf(delta)) : weight[at]! + delta;
    }
  }
}

function roundHalf(value: number): number {
  return fromFloat16Bits(toFloat16Bits(value));
}
