import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { ClipTokenizer } from '../../../src-main/core/pipeline/tokenizer';
import { sharedPath } from '../../helpers/shared';

const clipDir = sharedPath('data', 'clip-bpe');
const BOS = 49406;
const EOS = 49407;
const COMMA = 267;
const A = 320;

let tokenizer: ClipTokenizer;
let tempRoot: string;

beforeAll(async () => {
  tokenizer = await ClipTokenizer.load(clipDir);
  tempRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'easel-tokenizer-'));
});

afterAll(async () => {
  await fs.rm(tempRoot, { recursive: true, force: true });
});

/** A tokenizer folder in a temp dir: the real vocabulary plus the given extra files. */
async function tokenizerDir(name: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = path.join(tempRoot, name);
  await fs.mkdir(dir);
  await fs.copyFile(path.join(clipDir, 'vocab.json'), path.join(dir, 'vocab.json'));
  await fs.copyFile(path.join(clipDir, 'merges.txt'), path.join(dir, 'merges.txt'));
  for (const [file, content] of Object.entries(extra)) await fs.writeFile(path.join(dir, file), content);
  return dir;
}

async function expectModelInvalid(promise: Promise<unknown>, fileName: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EaselError);
  expect((error as EaselError).code).toBe('model_invalid');
  expect((error as EaselError).message).toContain(fileName);
}

/** The prompt tokens of a chunk: between bos and the first eos. */
function promptTokens(chunk: { inputIds: number[] }): number[] {
  return chunk.inputIds.slice(1, chunk.inputIds.indexOf(EOS, 1));
}

describe('ClipTokenizer.encode', () => {
  it('encodes the README example from the real CLIP vocabulary', () => {
    expect(tokenizer.encode('a photo of an astronaut riding a horse on mars')).toEqual([
      320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496,
    ]);
    expect(tokenizer.bosId).toBe(BOS);
    expect(tokenizer.eosId).toBe(EOS);
    expect(tokenizer.padId).toBe(EOS);
    expect(tokenizer.maxLength).toBe(77);
  });

  // Expected ids below come from OpenAI's reference simple_tokenizer run on the same vocabulary.
  it.each<[string, string, number[]]>([
    ['accents', 'café crème brûlée', [15304, 1075, 12138, 614, 711, 127, 119, 75, 13489]],
    ['emoji, byte-level', '🔥 👍🏽', [3016, 43722]],
    ['CJK, byte-level', '東京', [48338, 21078, 361]],
    ['numbers, one digit each', '123 2024', [272, 273, 274, 273, 271, 273, 275]],
    ['apostrophes', "don't it's", [847, 713, 585, 568]],
    ['a word not in the vocabulary', 'zxqvbnmplk', [89, 87, 80, 85, 10496, 76, 712, 330]],
    ['punctuation and case', 'Hello, World!!!', [3306, COMMA, 1002, 995]],
    ['HTML entities', '&amp; &lt;b&gt;', [261, 283, 321, 285]],
    ['whitespace collapse and case', '  A   Photo\n\tOF  ', [A, 1125, 539]],
    ['a comma without spaces', 'a,b', [A, COMMA, 321]],
  ])('%s', (_, text, ids) => {
    expect(tokenizer.encode(text)).toEqual(ids);
  });

  it('gives the same ids from the cache on a second call', () => {
    const first = tokenizer.encode('supercalifragilistic expialidocious');
    expect(tokenizer.encode('supercalifragilistic expialidocious')).toEqual(first);
    expect(first.length).toBeGreaterThan(2);
  });

  it('keeps typed start and end markers whole', () => {
    expect(tokenizer.encode('<|startoftext|>hi<|endoftext|>')).toEqual([BOS, ...tokenizer.encode('hi'), EOS]);
  });

  it('returns no ids for empty or blank text', () => {
    expect(tokenizer.encode('')).toEqual([]);
    expect(tokenizer.encode(' \n\t ')).toEqual([]);
  });

  it('applies merges by rank, lowest first', () => {
    const vocab = { 'a': 0, 'b': 1, 'c</w>': 2, 'ab': 3, 'bc</w>': 4, '<|startoftext|>': 5, '<|endoftext|>': 6 };
    const bcFirst = ClipTokenizer.fromData(vocab, '#version: 0.2\nb c</w>\na b\n');
    const abFirst = ClipTokenizer.fromData(vocab, '#version: 0.2\na b\nb c</w>\n');
    expect(bcFirst.encode('abc')).toEqual([0, 4]);
    expect(abFirst.encode('abc')).toEqual([3, 2]);
  });
});

describe('ClipTokenizer.encodePrompt', () => {
  it('gives an empty prompt one chunk: bos, eos, then padding', () => {
    const encoded = tokenizer.encodePrompt('');
    expect(encoded.tokenCount).toBe(0);
    expect(encoded.chunks).toHaveLength(1);
    expect(encoded.chunks[0]!.inputIds).toEqual([BOS, EOS, ...new Array(75).fill(EOS)]);
    expect(encoded.chunks[0]!.weights).toEqual(new Array(77).fill(1));
  });

  it('carries A1111 weights onto each token', () => {
    const cat = tokenizer.encode('cat');
    expect(cat).toHaveLength(1);
    const encoded = tokenizer.encodePrompt('a (cat:1.5) [a]');
    const chunk = encoded.chunks[0]!;
    expect(chunk.inputIds.slice(0, 6)).toEqual([BOS, A, cat[0], A, EOS, EOS]);
    expect(chunk.weights.slice(0, 6)).toEqual([1, 1, 1.5, 1 / 1.1, 1, 1]);
    expect(encoded.tokenCount).toBe(3);
  });

  it('splits 80 tokens into chunks of 75 and 5 without losing any', () => {
    const encoded = tokenizer.encodePrompt(new Array(80).fill('a').join(' '));
    expect(encoded.chunks).toHaveLength(2);
    expect(encoded.tokenCount).toBe(80);
    const [first, second] = encoded.chunks;
    expect(first!.inputIds).toEqual([BOS, ...new Array(75).fill(A), EOS]);
    expect(second!.inputIds).toEqual([BOS, ...new Array(5).fill(A), EOS, ...new Array(70).fill(EOS)]);
    for (const chunk of encoded.chunks) {
      expect(chunk.inputIds).toHaveLength(77);
      expect(chunk.weights).toHaveLength(77);
    }
  });

  it('moves the words after a comma near the end of a full chunk into the next chunk', () => {
    const prompt = `${new Array(70).fill('a').join(' ')}, ${new Array(10).fill('b').join(' ')}`;
    const b = tokenizer.encode('b')[0]!;
    const encoded = tokenizer.encodePrompt(prompt);
    expect(encoded.chunks).toHaveLength(2);
    expect(promptTokens(encoded.chunks[0]!)).toEqual([...new Array(70).fill(A), COMMA]);
    expect(promptTokens(encoded.chunks[1]!)).toEqual(new Array(10).fill(b));
    expect(encoded.tokenCount).toBe(81);
  });

  it('keeps every token of a long real prompt, in order, across chunks', () => {
    const prompt = Array.from(
      { length: 8 },
      (_, i) =>
        `masterpiece ${i}, best quality, a beautiful landscape with mountains and a lake at sunset, dramatic lighting`,
    ).join(', ');
    const all = tokenizer.encode(prompt);
    expect(all.length).toBeGreaterThan(150);
    const encoded = tokenizer.encodePrompt(prompt);
    expect(encoded.chunks.flatMap(promptTokens)).toEqual(all);
    expect(encoded.tokenCount).toBe(all.length);
    expect(encoded.chunks.length).toBeGreaterThanOrEqual(Math.ceil(all.length / 75));
    for (const chunk of encoded.chunks) expect(promptTokens(chunk).length).toBeLessThanOrEqual(75);
    expect(tokenizer.countTokens(prompt)).toEqual({ tokens: all.length, chunks: encoded.chunks.length });
  });

  it('starts a new chunk at BREAK', () => {
    const encoded = tokenizer.encodePrompt('a photo BREAK of mars');
    expect(encoded.chunks.map(promptTokens)).toEqual([tokenizer.encode('a photo'), tokenizer.encode('of mars')]);
    expect(tokenizer.countTokens('a photo BREAK of mars')).toEqual({ tokens: 4, chunks: 2 });
  });

  it('pads SD 2.x style with "!" after the end token', async () => {
    const vocab = JSON.parse(await fs.readFile(path.join(clipDir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const merges = await fs.readFile(path.join(clipDir, 'merges.txt'), 'utf8');
    const sd2 = ClipTokenizer.fromData(vocab, merges, { padToken: '!' });
    expect(sd2.padId).toBe(0);
    expect(sd2.encodePrompt('a').chunks[0]!.inputIds).toEqual([BOS, A, EOS, ...new Array(74).fill(0)]);
  });
});

describe('ClipTokenizer.load', () => {
  it('pads with the end token when no config names a pad token', async () => {
    const loaded = await ClipTokenizer.load(await tokenizerDir('plain'));
    expect(loaded.padId).toBe(EOS);
  });

  it('reads pad_token from special_tokens_map.json (string form)', async () => {
    const dir = await tokenizerDir('map-string', { 'special_tokens_map.json': JSON.stringify({ pad_token: '!' }) });
    expect((await ClipTokenizer.load(dir)).padId).toBe(0);
  });

  it('reads pad_token from tokenizer_config.json (object form)', async () => {
    const config = { pad_token: { __type: 'AddedToken', content: '!', lstrip: false }, model_max_length: 77 };
    const dir = await tokenizerDir('config-object', { 'tokenizer_config.json': JSON.stringify(config) });
    expect((await ClipTokenizer.load(dir)).padId).toBe(0);
  });

  it("prefers special_tokens_map.json's pad_token over tokenizer_config.json's", async () => {
    const dir = await tokenizerDir('both', {
      'special_tokens_map.json': JSON.stringify({ pad_token: { content: '<|endoftext|>' } }),
      'tokenizer_config.json': JSON.stringify({ pad_token: '!' }),
    });
    expect((await ClipTokenizer.load(dir)).padId).toBe(EOS);
  });

  it('names the missing file when the folder has no vocabulary', async () => {
    const dir = path.join(tempRoot, 'empty');
    await fs.mkdir(dir);
    await expectModelInvalid(ClipTokenizer.load(dir), 'vocab.json');
  });

  it('names merges.txt when it is missing', async () => {
    const dir = path.join(tempRoot, 'no-merges');
    await fs.mkdir(dir);
    await fs.copyFile(path.join(clipDir, 'vocab.json'), path.join(dir, 'vocab.json'));
    await expectModelInvalid(ClipTokenizer.load(dir), 'merges.txt');
  });

  it('names a corrupt vocab.json', async () => {
    const dir = await tokenizerDir('bad-vocab');
    await fs.writeFile(path.join(dir, 'vocab.json'), '{"a": 1,');
    await expectModelInvalid(ClipTokenizer.load(dir), 'vocab.json');
    await fs.writeFile(path.join(dir, 'vocab.json'), '["a"]');
    await expectModelInvalid(ClipTokenizer.load(dir), 'vocab.json');
    await fs.writeFile(path.join(dir, 'vocab.json'), '{"a": "one"}');
    await expectModelInvalid(ClipTokenizer.load(dir), 'vocab.json');
  });

  it('names a malformed merges.txt', async () => {
    const dir = await tokenizerDir('bad-merges');
    await fs.writeFile(path.join(dir, 'merges.txt'), '#version: 0.2\ni n\nthree parts here\n');
    await expectModelInvalid(ClipTokenizer.load(dir), 'merges.txt');
    await fs.writeFile(path.join(dir, 'merges.txt'), '#version: 0.2\n');
    await expectModelInvalid(ClipTokenizer.load(dir), 'merges.txt');
  });

  it('names a corrupt special_tokens_map.json or tokenizer_config.json', async () => {
    const map = await tokenizerDir('bad-map', { 'special_tokens_map.json': '{pad' });
    await expectModelInvalid(ClipTokenizer.load(map), 'special_tokens_map.json');
    const config = await tokenizerDir('bad-config', { 'tokenizer_config.json': JSON.stringify({ pad_token: 5 }) });
    await expectModelInvalid(ClipTokenizer.load(config), 'tokenizer_config.json');
  });

  it('rejects a pad token the vocabulary does not hold', async () => {
    const map = JSON.stringify({ pad_token: '<pad>' });
    const dir = await tokenizerDir('unknown-pad', { 'special_tokens_map.json': map });
    const error = await ClipTokenizer.load(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('model_invalid');
    expect((error as EaselError).message).toContain('<pad>');
  });
});
