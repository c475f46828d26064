import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';
import { type Embedding, readEmbedding } from './embeddings';
import { AdapterLibrary } from './library';
import type { LoraRequest } from './model-adapters';
import { a1111LoraHash, extractLoraTags } from './prompt-tags';

/**
 * What a generation's prompts ask of the adapter folders: `<lora:NAME:SCALE>` tags (taken out of the prompt
 * and the negative prompt) resolved to files in the LoRA folder, LoRA files given directly (the CLI's
 * `--lora FILE[:SCALE]`), and the embeddings of the embedding folder whose names the prompts use.
 */

export interface AdapterSources {
  /** LoRAs given by file, with their scales. */
  loras?: readonly LoraRequest[];
  /** Where `<lora:NAME>` finds NAME.safetensors. */
  loraDir?: string;
  /** Where embeddings named in prompts are looked for. */
  embeddingDir?: string;
}

export interface PromptAdapters {
  /** The prompts with the LoRA tags taken out: what is tokenized. */
  prompt: string;
  negativePrompt: string;
  loras: LoraRequest[];
  embeddings: Embedding[];
  /** Name (as written in the tag, or the file name) and A1111 short hash of each LoRA, for `Lora hashes`. */
  hashes: Array<{ name: string; hash: string }>;
}

export async function resolvePromptAdapters(prompt: string, negativePrompt: string, sources: AdapterSources): Promise<PromptAdapters> {
  const positive = extractLoraTags(prompt);
  const negative = extractLoraTags(negativePrompt);
  const loras: LoraRequest[] = [];
  const hashes: PromptAdapters['hashes'] = [];
  const add = async (name: string, request: LoraRequest) => {
    loras.push(request);
    hashes.push({ name, hash: await a1111LoraHash(request.file) });
  };
  for (const request of sources.loras ?? []) await add(path.basename(request.file, path.extname(request.file)), request);
  const tags = [...positive.tags, ...negative.tags];
  if (tags.length > 0) {
    if (sources.loraDir === undefined) {
      throw new EaselError('invalid_request', `The prompt names LoRAs (<lora:${tags[0]!.name}>) but no LoRA folder was given to find them in.`);
    }
    const library = new AdapterLibrary(sources.loraDir, 'lora');
    for (const tag of tags) {
      const file = await library.resolve(tag.name);
      await add(tag.name, { file, scale: tag.scale, ...(tag.unetScale !== undefined ? { unetScale: tag.unetScale } : {}) });
    }
  }
  const embeddings = sources.embeddingDir === undefined ? [] : await namedEmbeddings(sources.embeddingDir, `${positive.text}\n${negative.text}`);
  return { prompt: positive.text, negativePrompt: negative.text, loras, embeddings, hashes };
}

/** The embeddings in `dir` whose file names appear as words in `text` (any case), as A1111 picks them. */
async function namedEmbeddings(dir: string, text: string): Promise<Embedding[]> {
  const files = await fsp.readdir(dir).catch(() => [] as string[]);
  const lower = text.toLowerCase();
  const used: Embedding[] = [];
  for (const file of files.sort()) {
    if (!file.toLowerCase().endsWith('.safetensors')) continue;
    const name = file.slice(0, -'.safetensors'.length).toLowerCase();
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (!new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'u').test(lower)) continue;
    used.push(await readEmbedding(path.join(dir, file)));
  }
  return used;
}
