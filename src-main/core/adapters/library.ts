import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AdapterBase, AdapterKind } from '../../../src-preload/api';
import { EaselError } from '../errors';
import { moveToFreeName, TEMP_PREFIX } from '../fs/atomic';
import { baseOfEmbedding, baseOfLora, isLcmLora } from './adapter-base';
import { readEmbedding } from './embeddings';
import { Lora } from './lora';
import { a1111LoraHash } from './prompt-tags';

/**
 * A folder of LoRAs or of embeddings (one each per user, in the data dir): what is installed, with what the
 * files say about themselves, importing a file (checked first, copied atomically, never over another) and
 * removing one. Names are file names without `.safetensors`, as prompts use them.
 */

export type { AdapterKind };

export interface AdapterEntry {
  name: string;
  file: string;
  bytes: number;
  /** A1111's short hash (`Lora hashes`), so A1111 images find the installed file. */
  hash: string;
  /** What the file says it was trained on, when it says. */
  baseModel?: string;
  /** The architecture it was made for, from its metadata or its layer widths, when either tells. */
  base?: AdapterBase;
  /** A latent-consistency LoRA (4 steps with the LCM scheduler). */
  lcm: boolean;
  /** The most frequent training tags (kohya's `ss_tag_frequency`), most frequent first. */
  triggerWords: string[];
  /** `NAME.preview.png` beside the file, when there is one. */
  preview?: string;
  /** Why the file no longer opens; it is listed anyway so it can be removed. */
  problem?: string;
}

const EXTENSION = '.safetensors';
const TRIGGER_WORDS = 10;

/**
 * A1111 hashes by file, size and modification time: the hash reads the whole file (hundreds of MB for an SDXL
 * LoRA), so a library listed again and again reads each file once per change.
 */
export class LoraHashCache {
  private readonly known = new Map<string, string>();

  async hash(file: string): Promise<string> {
    const { size, mtimeMs } = await fsp.stat(file);
    const key = `${file}\u0000${size}\u0000${mtimeMs}`;
    let hash = this.known.get(key);
    if (hash === undefined) {
      hash = await a1111LoraHash(file);
      this.known.set(key, hash);
    }
    return hash;
  }
}

export class AdapterLibrary {
  constructor(
    readonly dir: string,
    readonly kind: AdapterKind,
    private readonly hashes: LoraHashCache = new LoraHashCache(),
  ) {}

  async list(): Promise<AdapterEntry[]> {
    const names = await fsp.readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const entries: AdapterEntry[] = [];
    for (const file of names.filter((name) => name.toLowerCase().endsWith(EXTENSION) && !name.startsWith(TEMP_PREFIX)).sort()) {
      entries.push(await this.describe(path.join(this.dir, file)).catch((error: unknown) => this.damaged(path.join(this.dir, file), error)));
    }
    return entries;
  }

  /** The installed file named `name` (as written in a prompt); not_found names the folder looked in. */
  async resolve(name: string): Promise<string> {
    const dir = path.resolve(this.dir);
    const file = path.join(dir, `${name}${EXTENSION}`);
    if (name === '' || path.dirname(file) !== dir || name.includes('/') || name.includes('\\')) {
      throw new EaselError('invalid_request', `"${name}" is not a ${this.kind === 'lora' ? 'LoRA' : 'embedding'} name.`);
    }
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat?.isFile() !== true) {
      throw new EaselError('not_found', `No ${this.kind === 'lora' ? 'LoRA' : 'embedding'} named ${name} in ${this.dir}.`, { name, dir: this.dir });
    }
    return file;
  }

  /** Checks `source` (a safetensors LoRA or embedding, never a pickle) and copies it in under its own name. */
  async import(source: string): Promise<AdapterEntry> {
    await this.check(source);
    await fsp.mkdir(this.dir, { recursive: true });
    const target = path.join(this.dir, path.basename(source));
    const temp = path.join(this.dir, `${TEMP_PREFIX}${process.pid}-${Date.now()}${EXTENSION}`);
    try {
      await fsp.copyFile(source, temp);
      if (!(await moveToFreeName(temp, target))) {
        throw new EaselError('invalid_request', `${path.basename(target)} is already installed; remove it first to replace it.`, { file: target });
      }
    } finally {
      await fsp.rm(temp, { force: true });
    }
    return this.describe(target);
  }

  async remove(name: string): Promise<void> {
    const file = await this.resolve(name);
    await fsp.rm(file);
    await fsp.rm(path.join(this.dir, `${name}.preview.png`), { force: true });
  }

  private async check(file: string): Promise<void> {
    if (this.kind === 'embedding') {
      await readEmbedding(file);
      return;
    }
    const lora = await Lora.open(file);
    await lora.close();
  }

  private async describe(file: string): Promise<AdapterEntry> {
    const name = path.basename(file, EXTENSION);
    const { size } = await fsp.stat(file);
    const entry: AdapterEntry = { name, file, bytes: size, hash: await this.hashes.hash(file), triggerWords: [], lcm: false };
    if (this.kind === 'lora') {
      const lora = await Lora.open(file);
      try {
        if (lora.baseModel !== undefined) entry.baseModel = lora.baseModel;
        const base = baseOfLora(lora);
        if (base !== undefined) entry.base = base;
        entry.lcm = isLcmLora(lora);
        entry.triggerWords = triggerWords(lora.metadata.ss_tag_frequency);
      } finally {
        await lora.close();
      }
    } else {
      const base = baseOfEmbedding(await readEmbedding(file));
      if (base !== undefined) entry.base = base;
    }
    const preview = path.join(this.dir, `${name}.preview.png`);
    if (await fsp.stat(preview).then((stat) => stat.isFile(), () => false)) entry.preview = preview;
    return entry;
  }

  /** A file that no longer opens is still listed, so it can be removed. */
  private async damaged(file: string, error: unknown): Promise<AdapterEntry> {
    const { size } = await fsp.stat(file);
    const problem = error instanceof EaselError ? error.message : 'The file cannot be read.';
    return { name: path.basename(file, EXTENSION), file, bytes: size, hash: '', triggerWords: [], lcm: false, problem };
  }
}

/** kohya's `ss_tag_frequency`: `{ "<dataset folder>": { "<tag>": count } }` as JSON text. */
function triggerWords(text: string | undefined): string[] {
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const counts = new Map<string, number>();
  for (const folder of Object.values(typeof parsed === 'object' && parsed !== null ? parsed : {})) {
    for (const [tag, count] of Object.entries(typeof folder === 'object' && folder !== null ? folder : {})) {
      if (typeof count === 'number') counts.set(tag.trim(), (counts.get(tag.trim()) ?? 0) + count);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, TRIGGER_WORDS).map(([tag]) => tag);
}
