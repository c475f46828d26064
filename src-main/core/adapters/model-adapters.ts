import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';
import { addedTokens, type Embedding, extendedTable, tokenEmbeddingTable, type TextEncoderPart } from './embeddings';
import { Lora, type LoraComponent } from './lora';
import { matchLayers, mergeLoras, type ScaledLora } from './lora-merge';
import { indexOnnxGraph, type InitializerValue, type OnnxGraphIndex, patchedModelBytes } from './onnx-weights';
import { findWeightTargets, type WeightTargets } from './weight-targets';

/**
 * LoRAs (each with its own scale) and textual-inversion embeddings applied to one model folder in memory.
 * Opening checks everything up front: every LoRA must land somewhere in the model (an SDXL LoRA on SD 1.5
 * lands nowhere and is refused, naming the base it was made for) and every embedding must have the text
 * encoder's width. A part's merged model is built only when its session is created; the files on disk are
 * never written.
 */

export interface LoraRequest {
  file: string;
  scale: number;
  unetScale?: number;
}

export interface AdapterRequest {
  loras: readonly LoraRequest[];
  embeddings: readonly Embedding[];
  /** Each text encoder's tokenizer vocabulary size: the first id embeddings' tokens get. */
  vocabSizes: Partial<Record<TextEncoderPart, number>>;
}

const COMPONENTS: readonly LoraComponent[] = ['unet', 'text_encoder', 'text_encoder_2'];

interface Part {
  index: OnnxGraphIndex;
  targets: WeightTargets;
  /** The token table's new value when embeddings add rows to it. */
  table?: { name: string; rows: Float32Array[] };
  tokens?: Map<string, number[]>;
}

export class ModelAdapters {
  private constructor(
    readonly modelDir: string,
    readonly loras: readonly ScaledLora[],
    private readonly parts: ReadonlyMap<LoraComponent, Part>,
    /** Identifies the files and scales, for session caches. */
    readonly key: string,
  ) {}

  static async open(modelDir: string, request: AdapterRequest): Promise<ModelAdapters> {
    const loras: ScaledLora[] = [];
    try {
      for (const { file, scale, unetScale } of request.loras) {
        loras.push({ lora: await Lora.open(file), scale, ...(unetScale !== undefined ? { unetScale } : {}) });
      }
      const parts = new Map<LoraComponent, Part>();
      for (const component of COMPONENTS) {
        const hasLoras = loras.some(({ lora }) => lora.layers.some((layer) => layer.component === component));
        const vocabSize = component === 'unet' ? undefined : request.vocabSizes[component];
        const hasEmbeddings = vocabSize !== undefined && request.embeddings.some((embedding) => embedding.vectors[component as TextEncoderPart]);
        const file = path.join(modelDir, component, 'model.onnx');
        if ((!hasLoras && !hasEmbeddings) || !existsSync(file)) continue;
        const index = await indexOnnxGraph(file);
        const part: Part = { index, targets: findWeightTargets(index) };
        if (hasEmbeddings) {
          const table = tokenEmbeddingTable(index, vocabSize);
          const added = addedTokens(request.embeddings, component as TextEncoderPart, vocabSize, table.dims[1]!);
          part.table = { name: table.name, rows: added.rows };
          part.tokens = added.ids;
        }
        parts.set(component, part);
      }
      for (const scaled of loras) refuseUnmatched(scaled, parts);
      // Every matched layer's shape is checked now, so a LoRA for another model fails before any merging.
      for (const [component, part] of parts) mergeLoras(part.index, part.targets, component, loras);
      return new ModelAdapters(modelDir, loras, parts, ModelAdapters.keyOf(request));
    } catch (error) {
      await Promise.all(loras.map(({ lora }) => lora.close()));
      throw error;
    }
  }

  /** Identifies the LoRA files (by path, size and time), their scales and the embeddings, for caches. */
  static keyOf(request: AdapterRequest): string {
    return JSON.stringify([
      request.loras.map(({ file, scale, unetScale }) => {
        const stat = statSync(file);
        return [path.resolve(file), stat.size, stat.mtimeMs, scale, unetScale ?? null];
      }),
      request.embeddings.map((embedding) => embedding.name),
      request.vocabSizes,
    ]);
  }

  /** Whether the adapters change this part (`unet`, `text_encoder`, `text_encoder_2`). */
  changes(component: string): boolean {
    return this.parts.has(component as LoraComponent);
  }

  /** Lower-cased embedding name → the token ids that stand for it, for this text encoder's tokenizer. */
  addedTokens(component: TextEncoderPart): ReadonlyMap<string, readonly number[]> {
    return this.parts.get(component)?.tokens ?? new Map();
  }

  /** The part's model with the adapters applied, to be loaded with the part's folder as its external-data folder. */
  async mergedModel(component: string): Promise<Uint8Array> {
    const part = this.parts.get(component as LoraComponent);
    if (part === undefined) throw new EaselError('internal', `No adapter changes the ${component}.`);
    const values: Map<string, InitializerValue> = mergeLoras(part.index, part.targets, component as LoraComponent, this.loras);
    if (part.table !== undefined) values.set(part.table.name, extendedTable(part.index, part.table.name, part.table.rows));
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
