import fs from 'node:fs/promises';
import path from 'node:path';
import { EaselError } from '../errors';
import { isBreak, parsePromptWeights } from './prompt-weights';
import { clipCleanText, PYTHON_WHITESPACE } from './text/clip-clean';

export interface EncodedPrompt {
  /** Each chunk is exactly 77 long: bos, up to 75 prompt tokens, eos, then pad; weights are 1 outside the prompt. */
  chunks: Array<{ inputIds: number[]; weights: number[] }>;
  /** Prompt tokens across all chunks, without bos, eos and padding. */
  tokenCount: number;
}

export interface ClipTokenizerOptions {
  bosToken?: string;
  eosToken?: string;
  /** Defaults to the eos token (SD 1.x); SD 2.x and SDXL's second tokenizer pad with "!". */
  padToken?: string;
}

const MAX_LENGTH = 77;
const CHUNK_TOKENS = MAX_LENGTH - 2;
/** A1111's `comma_padding_backtrack`: a full chunk ending within this many tokens of a comma is split there. */
const COMMA_BACKTRACK = 20;
const DEFAULT_BOS = '<|startoftext|>';
const DEFAULT_EOS = '<|endoftext|>';
const WORD_SUFFIX = '</w>';
const CACHE_LIMIT = 20_000;

/** CLIP's word pattern; "whitespace" is Python's, which differs from JavaScript's `\s` in two characters. */
const WORD_PATTERN = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${PYTHON_WHITESPACE}\\p{L}\\p{N}]+`,
  'giu',
);

/** GPT-2/CLIP's reversible map from each byte to a printable character, so BPE never sees raw bytes. */
const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) table.push(String.fromCharCode(printable(b) ? b : 256 + extra++));
  return table;
})();

const utf8 = new TextEncoder();

/**
 * CLIP's byte-level BPE tokenizer as OpenAI's `simple_tokenizer` and Hugging Face's `CLIPTokenizer` run
 * it, plus A1111-style prompt weighting and 75-token chunking for prompts longer than CLIP's window.
 */
export class ClipTokenizer {
  readonly maxLength = MAX_LENGTH;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  private readonly commaId: number | undefined;
  private readonly cache = new Map<string, number[]>();

  private constructor(
    private readonly vocab: Map<string, number>,
    private readonly mergeRanks: Map<string, number>,
    private readonly tokens: { bos: string; eos: string; pad: string },
    private readonly source: string,
    /** Textual-inversion names (lower-cased) → the ids of the tokens added for them. */
    private readonly added: ReadonlyMap<string, readonly number[]> = new Map(),
  ) {
    const idOf = (role: string, token: string): number => {
      const id = vocab.get(token);
      if (id === undefined) {
        const message = `The tokenizer vocabulary in ${source} has no ${role} token "${token}".`;
        throw new EaselError('model_invalid', message, { token });
      }
      return id;
    };
    this.bosId = idOf('start', tokens.bos);
    this.eosId = idOf('end', tokens.eos);
    this.padId = idOf('padding', tokens.pad);
    this.commaId = vocab.get(`,${WORD_SUFFIX}`);
  }

  /** Reads a model's `tokenizer/` folder: vocab.json, merges.txt and, when present, the special-token configs. */
  static async load(dir: string): Promise<ClipTokenizer> {
    const vocabPath = path.join(dir, 'vocab.json');
    const mergesPath = path.join(dir, 'merges.txt');
    const vocab = parseVocab(await readTokenizerFile(vocabPath, true), vocabPath);
    const mergeRanks = parseMerges(await readTokenizerFile(mergesPath, true), mergesPath);
    const specialMap = await readSpecialTokens(path.join(dir, 'special_tokens_map.json'));
    const config = await readSpecialTokens(path.join(dir, 'tokenizer_config.json'));
    const eos = specialMap.eos ?? config.eos ?? DEFAULT_EOS;
    return new ClipTokenizer(
      vocab,
      mergeRanks,
      { bos: specialMap.bos ?? config.bos ?? DEFAULT_BOS, eos, pad: specialMap.pad ?? config.pad ?? eos },
      dir,
    );
  }

  static fromData(vocab: Record<string, number>, merges: string, options: ClipTokenizerOptions = {}): ClipTokenizer {
    const eos = options.eosToken ?? DEFAULT_EOS;
    return new ClipTokenizer(
      parseVocab(vocab, 'the given vocabulary'),
      parseMerges(merges, 'the given merges'),
      { bos: options.bosToken ?? DEFAULT_BOS, eos, pad: options.padToken ?? eos },
      'the given vocabulary',
    );
  }

  /** Entries in the vocabulary: the first id a token added to it gets. */
  get vocabSize(): number {
    return this.vocab.size;
  }

  /**
   * This tokenizer with textual-inversion tokens added: each name, written as a word in a prompt (any case),
   * becomes its ids instead of its BPE tokens, as A1111 uses an embedding by its file name.
   */
  withAddedTokens(added: ReadonlyMap<string, readonly number[]>): ClipTokenizer {
    return new ClipTokenizer(this.vocab, this.mergeRanks, this.tokens, this.source, added);
  }

  /** BPE ids of `text`, without start and end tokens. */
  encode(text: string): number[] {
    const ids: number[] = [];
    const cleaned = clipCleanText(text);
    let from = 0;
    for (const match of this.added.size > 0 ? cleaned.matchAll(this.addedPattern()) : []) {
      ids.push(...this.encodeText(cleaned.slice(from, match.index)), ...(this.added.get(match[0].toLowerCase()) ?? []));
      from = match.index + match[0].length;
    }
    ids.push(...this.encodeText(cleaned.slice(from)));
    return ids;
  }

  private encodeText(cleaned: string): number[] {
    const ids: number[] = [];
    for (const match of cleaned.matchAll(WORD_PATTERN)) {
      for (const id of this.encodeWord(match[0])) ids.push(id);
    }
    return ids;
  }

  private addedPattern(): RegExp {
    const names = [...this.added.keys()].sort((a, b) => b.length - a.length).map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${names.join('|')})(?![\\p{L}\\p{N}_])`, 'giu');
  }

  /**
   * Tokenizes an A1111-weighted prompt into 77-token chunks (as A1111 does for prompts past 75 tokens):
   * a chunk closes at 75 tokens, at a BREAK, or at the last comma within its final 20 tokens.
   */
  encodePrompt(prompt: string): EncodedPrompt {
    const chunks: EncodedPrompt['chunks'] = [];
    let tokens: number[] = [];
    let weights: number[] = [];
    let lastComma = -1;
    let tokenCount = 0;

    const closeChunk = (): void => {
      tokenCount += tokens.length;
      const padding = CHUNK_TOKENS - tokens.length;
      chunks.push({
        inputIds: [this.bosId, ...tokens, this.eosId, ...new Array<number>(padding).fill(this.padId)],
        weights: [1, ...weights, 1, ...new Array<number>(padding).fill(1)],
      });
      tokens = [];
      weights = [];
      lastComma = -1;
    };

    for (const fragment of parsePromptWeights(prompt)) {
      if (isBreak(fragment)) {
        closeChunk();
        continue;
      }
      for (const id of this.encode(fragment.text)) {
        if (id === this.commaId) {
          lastComma = tokens.length;
        } else if (tokens.length === CHUNK_TOKENS && lastComma !== -1 && tokens.length - lastComma <= COMMA_BACKTRACK) {
          const moved = tokens.splice(lastComma + 1);
          const movedWeights = weights.splice(lastComma + 1);
          closeChunk();
          tokens = moved;
          weights = movedWeights;
        }
        if (tokens.length === CHUNK_TOKENS) closeChunk();
        tokens.push(id);
        weights.push(fragment.weight);
      }
    }
    if (tokens.length > 0 || chunks.length === 0) closeChunk();
    return { chunks, tokenCount };
  }

  /** For the prompt box's counter: prompt tokens and how many 77-token chunks the prompt needs. */
  countTokens(prompt: string): { tokens: number; chunks: number } {
    const encoded = this.encodePrompt(prompt);
    return { tokens: encoded.tokenCount, chunks: encoded.chunks.length };
  }

  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    // The start and end markers typed in a prompt stay whole, as in the reference tokenizer; a symbol
    // missing from the vocabulary becomes the unknown token, which for CLIP is the end token.
    const special = word === DEFAULT_BOS || word === DEFAULT_EOS ? this.vocab.get(word) : undefined;
    const ids =
      special !== undefined ? [special] : this.bpe(word).map((symbol) => this.vocab.get(symbol) ?? this.eosId);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  /** Byte-level BPE of one pre-tokenized word: merge the lowest-ranked adjacent pair until none is known. */
  private bpe(word: string): string[] {
    const symbols = Array.from(utf8.encode(word), (byte) => BYTE_TO_CHAR[byte]!);
    symbols[symbols.length - 1] += WORD_SUFFIX;
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let bestFirst = '';
      let bestSecond = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.mergeRanks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestFirst = symbols[i]!;
          bestSecond = symbols[i + 1]!;
        }
      }
      if (bestRank === Infinity) break;
      // Every occurrence of the pair merges in one left-to-right pass, as the reference implementation does.
      let write = 0;
      for (let read = 0; read < symbols.length; read++) {
        if (read + 1 < symbols.length && symbols[read] === bestFirst && symbols[read + 1] === bestSecond) {
          symbols[write++] = bestFirst + bestSecond;
          read++;
        } else {
          symbols[write++] = symbols[read]!;
        }
      }
      symbols.length = write;
    }
    return symbols;
  }
}

/** CLIP's text cleanup: HTML entities decoded, Unicode composed, whitespace collapsed, lower case. */
async function readTokenizerFile(file: string, required: true): Promise<string>;
async function readTokenizerFile(file: string, required: false): Promise<string | undefined>;
async function readTokenizerFile(file: string, required: boolean): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    if (code === 'ENOENT') {
      throw new EaselError('model_invalid', `The tokenizer file ${file} is missing; the model folder is incomplete.`, {
        path: file,
      });
    }
    throw new EaselError('model_invalid', `The tokenizer file ${file} cannot be read: ${(error as Error).message}`, {
      path: file,
    });
  }
}

function parseVocab(source: string | Record<string, number>, name: string): Map<string, number> {
  let parsed: unknown = source;
  if (typeof source === 'string') {
    try {
      parsed = JSON.parse(source);
    } catch (error) {
      const message = `The tokenizer vocabulary ${name} is not valid JSON: ${(error as Error).message}`;
      throw new EaselError('model_invalid', message, { path: name });
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EaselError('model_invalid', `The tokenizer vocabulary ${name} must map tokens to ids.`, { path: name });
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(parsed)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new EaselError('model_invalid', `The tokenizer vocabulary ${name} gives "${token}" the id ${String(id)}.`, {
        path: name,
        token,
      });
    }
    vocab.set(token, id as number);
  }
  return vocab;
}

function parseMerges(text: string, name: string): Map<string, number> {
  const ranks = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if ((index === 0 && line.startsWith('#version')) || line.trim() === '') return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      const message = `The tokenizer merges ${name} has a malformed line ${index + 1}: "${line}".`;
      throw new EaselError('model_invalid', message, { path: name, line: index + 1 });
    }
    if (!ranks.has(line)) ranks.set(line, ranks.size);
  });
  if (ranks.size === 0) {
    throw new EaselError('model_invalid', `The tokenizer merges ${name} holds no merges.`, { path: name });
  }
  return ranks;
}

interface SpecialTokens {
  bos?: string;
  eos?: string;
  pad?: string;
}

/** special_tokens_map.json or tokenizer_config.json; each token may be a string or `{ content }`. */
async function readSpecialTokens(file: string): Promise<SpecialTokens> {
  const text = await readTokenizerFile(file, false);
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EaselError('model_invalid', `The tokenizer file ${file} is not valid JSON: ${(error as Error).message}`, {
      path: file,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EaselError('model_invalid', `The tokenizer file ${file} must hold a JSON object.`, { path: file });
  }
  const config = parsed as Record<string, unknown>;
  const tokenAt = (key: string): string | undefined => {
    const value = config[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
      return (value as { content: string }).content;
    }
    throw new EaselError('model_invalid', `The tokenizer file ${file} has an unreadable ${key}.`, { path: file, key });
  };
  const tokens: SpecialTokens = {};
  const bos = tokenAt('bos_token');
  const eos = tokenAt('eos_token');
  const pad = tokenAt('pad_token');
  if (bos !== undefined) tokens.bos = bos;
  if (eos !== undefined) tokens.eos = eos;
  if (pad !== undefined) tokens.pad = pad;
  return tokens;
}
