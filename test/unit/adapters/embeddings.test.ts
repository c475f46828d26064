import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { readEmbedding } from '../../../src-main/core/adapters/embeddings';
import { ModelAdapters } from '../../../src-main/core/adapters/model-adapters';
import { EaselError } from '../../../src-main/core/errors';
import { ClipTokenizer } from '../../../src-main/core/pipeline/tokenizer';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { type FixtureKind, fixtureModel } from '../../fixtures/models';
import { SeededRandom } from '../../fixtures/onnx/graph';
import { f32, writeSafetensors } from '../../fixtures/safetensors';
import { decodeInline, initializers, initializerValues } from './lora-fixtures';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-embeddings-'));
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup) await step();
  rmSync(temp, { recursive: true, force: true });
});

const TABLE = 'text_model.embeddings.token_embedding.weight';

function vectors(seed: string, count: number, width: number): Float32Array {
  return new SeededRandom(seed).array(count * width, 2);
}

/**
 * What diffusers' load_textual_inversion makes: the token table with the vectors appended as new rows, the
 * prompt's name replaced by the new ids (vocabulary size and up). Built here from the decoded model.
 */
async function reference(file: string, rows: Float32Array, dir: string): Promise<OnnxSession> {
  const model = decodeInline(file);
  const table = initializers(model).find((tensor) => tensor.name === TABLE)!;
  const base = initializerValues(model, TABLE);
  const grown = new Float32Array(base.length + rows.length);
  grown.set(base);
  grown.set(rows, base.length);
  table.rawData = new Uint8Array(grown.buffer);
  table.dims = [Number(table.dims![0]) + rows.length / Number(table.dims![1]), Number(table.dims![1])];
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
  const session = await OnnxSession.create(path.join(dir, 'model.onnx'), 'cpu');
  cleanup.push(() => session.release());
  return session;
}

async function run(session: OnnxSession, ids: number[]): Promise<Float32Array> {
  const out = await session.run({ input_ids: { data: Int32Array.from(ids), dims: [1, ids.length] } }, ['last_hidden_state']);
  return out.last_hidden_state!.data as Float32Array;
}

describe('textual-inversion embeddings', () => {
  it.each<[FixtureKind, 'a1111' | 'diffusers']>([
    ['sd15-optimum', 'a1111'],
    ['sd15-legacy', 'diffusers'],
  ])('%s: a %s multi-vector embedding named in the prompt equals diffusers’ added tokens and rows', async (kind, format) => {
    const dir = await fixtureModel(kind);
    const file = path.join(dir, 'text_encoder', 'model.onnx');
    const rows = vectors(`${kind}-emb`, 3, 16);
    const embeddingFile = path.join(temp, `${kind}-EasyNeg.safetensors`);
    await writeSafetensors(embeddingFile, format === 'a1111' ? { emb_params: f32(rows, [3, 16]) } : { '<easy-neg>': f32(rows, [3, 16]) });
    const embedding = await readEmbedding(embeddingFile);
    const tokenizer = await ClipTokenizer.load(path.join(dir, 'tokenizer'));
    const adapters = await ModelAdapters.open(dir, { loras: [], embeddings: [embedding], vocabSizes: { text_encoder: tokenizer.vocabSize } });
    cleanup.push(() => adapters.close());
    expect(adapters.changes('text_encoder')).toBe(true);
    expect(adapters.changes('unet')).toBe(false);

    const withTokens = tokenizer.withAddedTokens(adapters.addedTokens('text_encoder'));
    const ids = withTokens.encodePrompt(`a photo of ${kind}-easyneg, red`).chunks[0]!.inputIds;
    const v = tokenizer.vocabSize;
    const expectedIds = [tokenizer.bosId, ...tokenizer.encode('a photo of'), v, v + 1, v + 2, ...tokenizer.encode(', red'), tokenizer.eosId];
    expect(ids.slice(0, expectedIds.length)).toEqual(expectedIds);

    const merged = await OnnxSession.createFromBytes(file, await adapters.mergedModel('text_encoder'), 'cpu');
    cleanup.push(() => merged.release());
    const theirs = await reference(file, rows, path.join(temp, `reference-${kind}`, 'text_encoder'));
    const ours = await run(merged, ids);
    expect(ours).toEqual(await run(theirs, ids));
    const plain = await OnnxSession.create(file, 'cpu');
    cleanup.push(() => plain.release());
    const withoutEmbedding = await run(plain, tokenizer.encodePrompt(`a photo of ${kind}-easyneg, red`).chunks[0]!.inputIds);
    expect(ours).not.toEqual(withoutEmbedding);
  });

  it('adds SDXL clip_l and clip_g vectors to each text encoder', async () => {
    const dir = await fixtureModel('sdxl');
    const embeddingFile = path.join(temp, 'xl-style.safetensors');
    await writeSafetensors(embeddingFile, { clip_l: f32(vectors('l', 2, 8), [2, 8]), clip_g: f32(vectors('g', 2, 8), [2, 8]) });
    const embedding = await readEmbedding(embeddingFile);
    const adapters = await ModelAdapters.open(dir, { loras: [], embeddings: [embedding], vocabSizes: { text_encoder: 600, text_encoder_2: 600 } });
    cleanup.push(() => adapters.close());
    expect([...adapters.addedTokens('text_encoder')]).toEqual([['xl-style', [600, 601]]]);
    expect([...adapters.addedTokens('text_encoder_2')]).toEqual([['xl-style', [600, 601]]]);
    const grown = onnx.ModelProto.decode(await adapters.mergedModel('text_encoder_2'));
    const table = initializerValues(grown, TABLE);
    expect(Array.from(table.slice(-16))).toEqual(Array.from(vectors('g', 2, 8)));
  });

  it('refuses an embedding made for another width, and pickled embeddings', async () => {
    const dir = await fixtureModel('sd15-optimum');
    const wide = path.join(temp, 'sd2-thing.safetensors');
    await writeSafetensors(wide, { emb_params: f32(vectors('w', 1, 24), [1, 24]) });
    const error = await ModelAdapters.open(dir, { loras: [], embeddings: [await readEmbedding(wide)], vocabSizes: { text_encoder: 600 } }).catch(
      (thrown: unknown) => thrown,
    );
    expect((error as EaselError).message).toMatch(/sd2-thing has 24-wide vectors.*uses 16/);
    const pickle = await readEmbedding(path.join(temp, 'bad-hands.pt')).catch((thrown: unknown) => thrown);
    expect(pickle).toBeInstanceOf(EaselError);
    expect((pickle as EaselError).code).toBe('model_unsafe');
  });
});
