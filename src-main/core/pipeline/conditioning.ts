import { EaselError } from '../errors';
import { applyTokenWeights } from './latents';
import { type GraphSession, type HostTensor, floatOutput, outputName, tensorInput } from './graph';

/** What the tokenizer gives for one prompt: 77-token chunks with a weight per token. */
export interface EncodedPrompt {
  chunks: Array<{ inputIds: number[]; weights: number[] }>;
}

export interface PromptTokenizer {
  encodePrompt(prompt: string): EncodedPrompt;
}

/** Text conditioning for one image: one or two rows (uncond first when guided) of [sequence, dim]. */
export interface Conditioning {
  /** [rows, sequence, dim] flattened: row 0 = negative when `rows` is 2. */
  hiddenStates: Float32Array;
  rows: 1 | 2;
  sequence: number;
  dim: number;
  /** SDXL: the pooled text embeddings of encoder 2, [rows, pooledDim]. */
  pooled: Float32Array | null;
  pooledDim: number;
}

export interface TextEncoders {
  tokenizer: PromptTokenizer;
  encoder: GraphSession;
  /** SDXL only: the second tokenizer and its encoder with projection. */
  tokenizer2: PromptTokenizer | null;
  encoder2: GraphSession | null;
}

interface EncodedRow {
  hidden: Float32Array;
  dim: number;
  pooled: Float32Array | null;
}

/**
 * Encodes the prompt (and, with guidance, the negative prompt) as A1111 does: each prompt is split in
 * chunks of 75 tokens, the two are padded to the same number of chunks with empty ones, each chunk is
 * encoded on its own and weighted, and the chunks are concatenated along the sequence axis.
 */
export async function encodeConditioning(
  encoders: TextEncoders,
  prompt: string,
  negativePrompt: string,
  options: { guided: boolean; zeroEmptyNegative: boolean },
): Promise<Conditioning> {
  const positive = encoders.tokenizer.encodePrompt(prompt);
  const positive2 = encoders.tokenizer2?.encodePrompt(prompt) ?? null;
  if (!options.guided) {
    const row = await encodeRow(encoders, positive, positive2, positive.chunks.length);
    return toConditioning([row]);
  }
  const negative = encoders.tokenizer.encodePrompt(negativePrompt);
  const negative2 = encoders.tokenizer2?.encodePrompt(negativePrompt) ?? null;
  const chunkCount = Math.max(positive.chunks.length, negative.chunks.length);
  const positiveRow = await encodeRow(encoders, positive, positive2, chunkCount);
  const negativeRow =
    options.zeroEmptyNegative && negativePrompt.trim() === ''
      ? {
          hidden: new Float32Array(positiveRow.hidden.length),
          dim: positiveRow.dim,
          pooled: positiveRow.pooled === null ? null : new Float32Array(positiveRow.pooled.length),
        }
      : await encodeRow(encoders, negative, negative2, chunkCount);
  return toConditioning([negativeRow, positiveRow]);
}

function toConditioning(rows: EncodedRow[]): Conditioning {
  const first = rows[0]!;
  const hiddenStates = new Float32Array(first.hidden.length * rows.length);
  rows.forEach((row, i) => hiddenStates.set(row.hidden, i * first.hidden.length));
  let pooled: Float32Array | null = null;
  if (first.pooled !== null) {
    pooled = new Float32Array(first.pooled.length * rows.length);
    rows.forEach((row, i) => pooled!.set(row.pooled!, i * first.pooled!.length));
  }
  return {
    hiddenStates,
    rows: rows.length as 1 | 2,
    sequence: first.hidden.length / first.dim,
    dim: first.dim,
    pooled,
    pooledDim: first.pooled?.length ?? 0,
  };
}

async function encodeRow(
  encoders: TextEncoders,
  prompt: EncodedPrompt,
  prompt2: EncodedPrompt | null,
  chunkCount: number,
): Promise<EncodedRow> {
  const parts: Float32Array[] = [];
  let dim = 0;
  let pooled: Float32Array | null = null;
  for (let c = 0; c < chunkCount; c++) {
    const chunk = chunkAt(prompt, c, encoders.tokenizer);
    if (encoders.encoder2 === null || encoders.tokenizer2 === null || prompt2 === null) {
      const { hidden, dim: width } = await runEncoder(encoders.encoder, chunk.inputIds, 'last');
      applyTokenWeights(hidden, chunk.weights, width);
      parts.push(hidden);
      dim = width;
      continue;
    }
    const chunk2 = chunkAt(prompt2, c, encoders.tokenizer2);
    const first = await runEncoder(encoders.encoder, chunk.inputIds, 'penultimate');
    const second = await runEncoder(encoders.encoder2, chunk2.inputIds, 'penultimate');
    const joined = concatFeatures(first.hidden, first.dim, second.hidden, second.dim);
    dim = first.dim + second.dim;
    applyTokenWeights(joined, chunk.weights, dim);
    parts.push(joined);
    // A1111 and diffusers condition on the pooled embedding of the first chunk only.
    if (c === 0) pooled = second.pooled;
  }
  const hidden = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    hidden.set(part, offset);
    offset += part.length;
  }
  return { hidden, dim, pooled };
}

const emptyChunks = new WeakMap<PromptTokenizer, EncodedPrompt['chunks'][number]>();

/** A prompt shorter than the other gets empty chunks (start, end, padding) as A1111 pads them. */
function chunkAt(prompt: EncodedPrompt, index: number, tokenizer: PromptTokenizer): EncodedPrompt['chunks'][number] {
  const chunk = prompt.chunks[index];
  if (chunk !== undefined) return chunk;
  let empty = emptyChunks.get(tokenizer);
  if (empty === undefined) {
    empty = tokenizer.encodePrompt('').chunks[0]!;
    emptyChunks.set(tokenizer, empty);
  }
  return empty;
}

function concatFeatures(a: Float32Array, dimA: number, b: Float32Array, dimB: number): Float32Array {
  const tokens = a.length / dimA;
  const out = new Float32Array(tokens * (dimA + dimB));
  for (let t = 0; t < tokens; t++) {
    out.set(a.subarray(t * dimA, (t + 1) * dimA), t * (dimA + dimB));
    out.set(b.subarray(t * dimB, (t + 1) * dimB), t * (dimA + dimB) + dimA);
  }
  return out;
}

/** Picks hidden_states.{N-1} (N the last layer index) among an encoder's outputs: SDXL conditions on the penultimate layer. */
function penultimateOutput(session: GraphSession): string {
  let last = -1;
  for (const output of session.outputs) {
    const match = /^hidden_states\.(\d+)$/.exec(output.name);
    if (match !== null) last = Math.max(last, Number(match[1]));
  }
  if (last < 1) {
    throw new EaselError(
      'model_invalid',
      'This SDXL text encoder does not output its hidden states (hidden_states.N); re-export it with output_hidden_states.',
      { outputs: session.outputs.map((o) => o.name) },
    );
  }
  return `hidden_states.${last - 1}`;
}

async function runEncoder(
  session: GraphSession,
  inputIds: number[],
  layer: 'last' | 'penultimate',
): Promise<{ hidden: Float32Array; dim: number; pooled: Float32Array | null }> {
  const idsInput = tensorInput(session, 'input_ids');
  // The session casts the ids to the int32 or int64 the export declares.
  const ids: HostTensor = { data: Int32Array.from(inputIds), dims: [1, inputIds.length] };
  const hiddenName = layer === 'penultimate' ? penultimateOutput(session) : outputName(session, 'last_hidden_state');
  const hasPooled = session.outputs.some((output) => output.name === 'text_embeds');
  const outputs = await session.run({ [idsInput.name]: ids }, hasPooled ? [hiddenName, 'text_embeds'] : [hiddenName]);
  const hidden = outputs[hiddenName]!;
  return {
    hidden: Float32Array.from(floatOutput(outputs, hiddenName)),
    dim: hidden.dims[hidden.dims.length - 1]!,
    pooled: hasPooled ? Float32Array.from(floatOutput(outputs, 'text_embeds')) : null,
  };
}
