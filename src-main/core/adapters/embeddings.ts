import path from 'node:path';
import { EaselError } from '../errors';
import { SafetensorsFile } from '../formats/safetensors';
import { float32ToFloat16 } from '../runtime/float16';
import { assertSafetensorsName } from './lora';
import { type InitializerValue, ONNX_FLOAT16, type OnnxGraphIndex, readInitializerFloats } from './onnx-weights';

/**
 * Textual-inversion embeddings, applied as diffusers' `load_textual_inversion` applies them: an embedding of
 * N vectors adds N tokens to the vocabulary (ids from the vocabulary's size up, after any added before it)
 * and N rows to the end of the text encoder's token-embedding matrix. The ONNX text encoders of real exports
 * take `input_ids` and look them up in that matrix inside the graph, so the matrix is what grows: the merged
 * text encoder is built in memory like a LoRA's. The prompt names an embedding by its file name, as in A1111
 * (`easynegative` in the negative prompt); each mention becomes the embedding's N tokens.
 *
 * Files: A1111's `emb_params` [N, width] (or `string_to_param.*`), diffusers' one `<token>` key, SDXL's
 * `clip_l` [N, 768] + `clip_g` [N, 1280] (one set of rows per text encoder).
 */

export type TextEncoderPart = 'text_encoder' | 'text_encoder_2';

export interface Embedding {
  /** The file name without `.safetensors`: the word that names it in prompts. */
  name: string;
  /** Vectors per text encoder, each [count, width] row-major. */
  vectors: Partial<Record<TextEncoderPart, { count: number; width: number; values: Float32Array }>>;
}

export async function readEmbedding(file: string): Promise<Embedding> {
  assertSafetensorsName(file, 'embedding');
  const name = path.basename(file, path.extname(file));
  const safetensors = await SafetensorsFile.open(file);
  try {
    const names = [...safetensors.tensors.keys()];
    const read = async (key: string) => {
      const shape = safetensors.tensor(key).shape;
      const width = shape[shape.length - 1] ?? 0;
      const values = await safetensors.readFloat32(key);
      if (shape.length < 1 || shape.length > 2 || width === 0 || values.length === 0) {
        throw new EaselError('model_invalid', `The embedding ${name} has a tensor of shape [${shape.join(', ')}], not [vectors, width].`, { file });
      }
      return { count: values.length / width, width, values };
    };
    if (names.includes('clip_l') || names.includes('clip_g')) {
      const vectors: Embedding['vectors'] = {};
      if (names.includes('clip_l')) vectors.text_encoder = await read('clip_l');
      if (names.includes('clip_g')) vectors.text_encoder_2 = await read('clip_g');
      return { name, vectors };
    }
    const key = names.find((candidate) => candidate === 'emb_params' || candidate.startsWith('string_to_param.')) ?? (names.length === 1 ? names[0] : undefined);
    if (key === undefined) {
      throw new EaselError('model_invalid', `${path.basename(file)} is not a textual-inversion embedding Easel recognises (keys: ${names.slice(0, 5).join(', ')}).`, { file });
    }
    return { name, vectors: { text_encoder: await read(key) } };
  } finally {
    await safetensors.close();
  }
}

/** Which vectors a set of embeddings adds to one text encoder, and the token ids they get. */
export interface AddedTokens {
  /** Lower-cased embedding name → the ids that stand for it in prompts. */
  ids: Map<string, number[]>;
  /** Rows appended to the token-embedding matrix, in id order. */
  rows: Float32Array[];
}

/**
 * Assigns ids from `vocabSize` up, in the order given, to each embedding that has vectors for this encoder.
 * An embedding made for another width (an SD 1.5 one on SD 2.x) is refused by name.
 */
export function addedTokens(embeddings: readonly Embedding[], part: TextEncoderPart, vocabSize: number, width: number): AddedTokens {
  const ids = new Map<string, number[]>();
  const rows: Float32Array[] = [];
  for (const embedding of embeddings) {
    const vectors = embedding.vectors[part];
    if (vectors === undefined) continue;
    if (vectors.width !== width) {
      throw new EaselError(
        'model_invalid',
        `The embedding ${embedding.name} has ${vectors.width}-wide vectors but this model's text encoder uses ${width}: it was made for another base model.`,
        { embedding: embedding.name },
      );
    }
    const tokenIds: number[] = [];
    for (let i = 0; i < vectors.count; i++) {
      tokenIds.push(vocabSize + rows.length);
      rows.push(vectors.values.subarray(i * width, (i + 1) * width));
    }
    ids.set(embedding.name.toLowerCase(), tokenIds);
  }
  return { ids, rows };
}

/** The token-embedding matrix of a CLIP text encoder export: the table its token Gather reads. */
export function tokenEmbeddingTable(index: OnnxGraphIndex, vocabSize: number): { name: string; dims: number[] } {
  const gathers = index.nodes.filter((node) => node.opType === 'Gather');
  const named = gathers.find((node) => node.name.endsWith('/embeddings/token_embedding/Gather'));
  const candidates = named ? [named] : gathers;
  for (const node of candidates) {
    const table = index.initializers.get(node.inputs[0] ?? '');
    if (table && table.dims.length === 2 && (named !== undefined || table.dims[0] === vocabSize)) return { name: table.name, dims: table.dims };
  }
  throw new EaselError('model_invalid', 'This text encoder has no token-embedding table Easel can find, so embeddings cannot be added to it.');
}

/** The token-embedding matrix with the embeddings' rows appended, in the table's own element type. */
export function extendedTable(index: OnnxGraphIndex, tableName: string, rows: readonly Float32Array[]): InitializerValue {
  const tensor = index.initializers.get(tableName)!;
  const [count, width] = tensor.dims as [number, number];
  const half = tensor.dataType === ONNX_FLOAT16;
  return {
    dims: [count + rows.length, width],
    dataType: tensor.dataType,
    byteLength: (count + rows.length) * width * (half ? 2 : 4),
    write: async (into) => {
      const values = new Float32Array((count + rows.length) * width);
      values.set(await readInitializerFloats(index, tensor));
      rows.forEach((row, i) => values.set(row, (count + i) * width));
      const typed = half ? float32ToFloat16(values) : values;
      into.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    },
  };
}
