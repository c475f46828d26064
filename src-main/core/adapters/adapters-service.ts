import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { MAX_ADAPTER_UPLOAD_BYTES, type AdapterKind, type AdapterList, type AdapterSummary, type ImportedParameters } from '../../../src-preload/api';
import { renameLora } from '../../../src-shared/lora-tags';
import { EaselError } from '../errors';
import type { AdapterSources } from './adapter-cache';
import { readEmbedding } from './embeddings';
import { AdapterLibrary, LoraHashCache, type AdapterEntry } from './library';
import { assertSafetensorsName, Lora } from './lora';

export interface AdaptersServiceOptions {
  /** The LoRA and embeddings folders as the settings name them now. */
  folders(): Promise<{ loras: string; embeddings: string }>;
}

/** Previews are shown as small cards in the picker; a full-size one would make every list call heavy. */
const PREVIEW_SIZE = 160;

/**
 * The person's LoRAs and embeddings for the app: listed with what the picker shows, imported from a file a page
 * sent (there is no path to copy from in a browser), removed; and the folders a generation finds them in.
 */
export class AdaptersService {
  private readonly hashes = new LoraHashCache();
  /** Small previews by file and modification time, made once per change of the picture. */
  private readonly previews = new Map<string, Promise<string | null>>();

  constructor(private readonly options: AdaptersServiceOptions) {}

  async list(): Promise<AdapterList> {
    const { loras, embeddings } = await this.libraries();
    return {
      loras: await Promise.all((await loras.list()).map((entry) => this.summary('lora', entry))),
      embeddings: await Promise.all((await embeddings.list()).map((entry) => this.summary('embedding', entry))),
    };
  }

  /**
   * Installs an uploaded file under its own name: checked first (never a pickle, never more than the upload
   * limit), then copied in atomically by the library. 'auto' installs a LoRA as a LoRA and an embedding as
   * an embedding.
   */
  async importUpload(fileName: string, bytes: Buffer, kind: AdapterKind | 'auto'): Promise<AdapterSummary> {
    assertSafetensorsName(fileName, kind === 'embedding' ? 'embedding' : 'LoRA');
    if (bytes.length > MAX_ADAPTER_UPLOAD_BYTES) {
      throw new EaselError(
        'invalid_request',
        `${fileName} is larger than ${MAX_ADAPTER_UPLOAD_BYTES / (1024 * 1024)} MB; import it with "easel loras import FILE" instead.`,
      );
    }
    const staging = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-upload-'));
    try {
      const file = path.join(staging, path.basename(fileName));
      await fsp.writeFile(file, bytes);
      const which = kind === 'auto' ? await kindOf(file) : kind;
      const libraries = await this.libraries();
      const entry = await (which === 'lora' ? libraries.loras : libraries.embeddings).import(file);
      return await this.summary(which, entry);
    } finally {
      await fsp.rm(staging, { recursive: true, force: true });
    }
  }

  async remove(kind: AdapterKind, name: string): Promise<{ kind: AdapterKind; name: string }> {
    const { loras, embeddings } = await this.libraries();
    await (kind === 'lora' ? loras : embeddings).remove(name);
    return { kind, name };
  }

  /**
   * Points the `<lora:>` tags of settings read from an image at the installed files: a LoRA installed under the
   * name the image used is kept; one installed under another name is found by its A1111 hash and the tags are
   * renamed, keeping their weights; the rest are listed as not installed.
   */
  async matchInstalled(parameters: ImportedParameters): Promise<ImportedParameters> {
    if (parameters.loras === undefined || parameters.loras.length === 0) return parameters;
    const installed = await (await this.libraries()).loras.list();
    const byName = new Set(installed.map((entry) => entry.name));
    const byHash = new Map(installed.filter((entry) => entry.hash !== '').map((entry) => [entry.hash, entry.name]));
    let { prompt = '', negativePrompt = '' } = parameters;
    const loras: NonNullable<ImportedParameters['loras']> = [];
    const missing: string[] = [];
    for (const lora of parameters.loras) {
      const found = byName.has(lora.name) ? lora.name : byHash.get(lora.hash);
      if (found === undefined) {
        if (!missing.includes(lora.name)) missing.push(lora.name);
        loras.push(lora);
        continue;
      }
      if (found !== lora.name) {
        prompt = renameLora(prompt, lora.name, found);
        negativePrompt = renameLora(negativePrompt, lora.name, found);
      }
      loras.push({ ...lora, name: found });
    }
    const matched: ImportedParameters = { ...parameters, loras };
    if (parameters.prompt !== undefined) matched.prompt = prompt;
    if (parameters.negativePrompt !== undefined) matched.negativePrompt = negativePrompt;
    if (missing.length > 0) matched.lorasNotInstalled = missing;
    return matched;
  }

  /** Where a generation's `<lora:NAME>` tags and embedding names are found. */
  async sources(): Promise<AdapterSources> {
    const { loras, embeddings } = await this.options.folders();
    return { loraDir: loras, embeddingDir: embeddings };
  }

  private async libraries(): Promise<{ loras: AdapterLibrary; embeddings: AdapterLibrary }> {
    const { loras, embeddings } = await this.options.folders();
    return { loras: new AdapterLibrary(loras, 'lora', this.hashes), embeddings: new AdapterLibrary(embeddings, 'embedding', this.hashes) };
  }

  private async summary(kind: AdapterKind, entry: AdapterEntry): Promise<AdapterSummary> {
    return {
      kind,
      name: entry.name,
      bytes: entry.bytes,
      hash: entry.hash,
      baseModel: entry.baseModel ?? null,
      base: entry.base ?? null,
      triggerWords: entry.triggerWords,
      preview: entry.preview === undefined ? null : await this.preview(entry.preview),
      lcm: entry.lcm,
      problem: entry.problem ?? null,
    };
  }

  private async preview(file: string): Promise<string | null> {
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat === undefined) return null;
    const key = `${file}\u0000${stat.size}\u0000${stat.mtimeMs}`;
    let made = this.previews.get(key);
    if (made === undefined) {
      made = previewDataUrl(file);
      this.previews.set(key, made);
    }
    return made;
  }
}

/** A LoRA if its keys are LoRA layers, else an embedding if it reads as one; neither is refused, saying both. */
async function kindOf(file: string): Promise<AdapterKind> {
  let loraProblem: string;
  try {
    await (await Lora.open(file)).close();
    return 'lora';
  } catch (error) {
    if (!(error instanceof EaselError) || error.code !== 'model_invalid') throw error;
    loraProblem = error.message;
  }
  try {
    await readEmbedding(file);
    return 'embedding';
  } catch (error) {
    if (!(error instanceof EaselError) || error.code !== 'model_invalid') throw error;
    throw new EaselError(
      'model_invalid',
      `${path.basename(file)} is neither a LoRA nor a textual-inversion embedding Easel can use. As a LoRA: ${loraProblem} As an embedding: ${error.message}`,
      { file: path.basename(file) },
    );
  }
}

/** A picture that does not decode is left out rather than failing the whole list. */
async function previewDataUrl(file: string): Promise<string | null> {
  try {
    const png = await sharp(file).resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'cover' }).png().toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch {
    return null;
  }
}
