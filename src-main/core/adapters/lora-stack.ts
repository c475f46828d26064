import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';
import { Lora, type LoraComponent } from './lora';
import { matchLayers, mergeLoras, type ScaledLora } from './lora-merge';
import { indexOnnxGraph, type OnnxGraphIndex, patchedModelBytes } from './onnx-weights';
import { findWeightTargets, type WeightTargets } from './weight-targets';

/**
 * A set of LoRAs, each with its own scale, applied to one model folder in memory. Opening it checks that every
 * LoRA lands somewhere in the model (an SDXL LoRA on SD 1.5 lands nowhere and is refused, naming the base it
 * was made for); a part's merged model is built only when its session is created. The files on disk are
 * never written.
 */

export interface LoraRequest {
  file: string;
  scale: number;
  unetScale?: number;
}

const COMPONENTS: readonly LoraComponent[] = ['unet', 'text_encoder', 'text_encoder_2'];

interface Part {
  index: OnnxGraphIndex;
  targets: WeightTargets;
}

export class LoraStack {
  private constructor(
    readonly modelDir: string,
    readonly loras: readonly ScaledLora[],
    private readonly parts: ReadonlyMap<LoraComponent, Part>,
    /** Identifies the files and scales, for session caches. */
    readonly key: string,
  ) {}

  static async open(modelDir: string, requests: readonly LoraRequest[]): Promise<LoraStack> {
    const loras: ScaledLora[] = [];
    try {
      for (const { file, scale, unetScale } of requests) {
        loras.push({ lora: await Lora.open(file), scale, ...(unetScale !== undefined ? { unetScale } : {}) });
      }
      const parts = new Map<LoraComponent, Part>();
      for (const component of COMPONENTS) {
        if (!loras.some(({ lora }) => lora.layers.some((layer) => layer.component === component))) continue;
        const file = path.join(modelDir, component, 'model.onnx');
        if (!existsSync(file)) continue;
        const index = await indexOnnxGraph(file);
        parts.set(component, { index, targets: findWeightTargets(index) });
      }
      for (const scaled of loras) refuseUnmatched(scaled, parts);
      const key = JSON.stringify(
        requests.map((request) => {
          const stat = statSync(request.file);
          return [path.resolve(request.file), stat.size, stat.mtimeMs, request.scale, request.unetScale ?? null];
        }),
      );
      return new LoraStack(modelDir, loras, parts, key);
    } catch (error) {
      await Promise.all(loras.map(({ lora }) => lora.close()));
      throw error;
    }
  }

  /** Whether any LoRA changes this part (`unet`, `text_encoder`, `text_encoder_2`). */
  changes(component: string): boolean {
    return this.parts.has(component as LoraComponent);
  }

  /** The part's model with the LoRAs merged, to be loaded with the part's folder as its external-data folder. */
  async mergedModel(component: string): Promise<Uint8Array> {
    const part = this.parts.get(component as LoraComponent);
    if (part === undefined) throw new EaselError('internal', `No LoRA changes the ${component}.`);
    const values = await mergeLoras(part.index, part.targets, component as LoraComponent, this.loras);
    return patchedModelBytes(part.index, values);
  }

  async close(): Promise<void> {
    await Promise.all(this.loras.map(({ lora }) => lora.close()));
  }
}

function refuseUnmatched(scaled: ScaledLora, parts: ReadonlyMap<LoraComponent, Part>): void {
  let matched = 0;
  for (const [component, part] of parts) matched += matchLayers(part.targets, component, [scaled]).size;
  if (matched > 0) return;
  const { lora } = scaled;
  const madeFor = lora.baseModel;
  throw new EaselError(
    'model_invalid',
    `The LoRA ${lora.name} does not fit this model: none of its ${lora.layers.length} layers exist in it` +
      (madeFor !== undefined ? `. It was made for ${madeFor}.` : '. It was probably made for another base model (SD 1.5, SD 2.x or SDXL).'),
    { lora: lora.name, ...(madeFor !== undefined ? { baseModel: madeFor } : {}) },
  );
}
