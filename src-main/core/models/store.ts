import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { EaselError } from '../errors';
import { CATALOG, type CatalogEntry, type ModelFamily } from './catalog';
import { sha256OfFile } from './verify';
import { MANIFEST_NAME, readManifest, writeManifest, type ModelManifest } from './manifest';
import { MODEL_INDEX, type ModelFolder, readModelFolder, readTinyDecoderFolder, readUpscalerFolder, TINY_DECODER_FILE } from './model-folder';

export type ModelState = 'complete' | 'partial' | 'corrupt' | 'missing-files';

export type ModelOrigin = 'download' | 'import-copy' | 'import-reference' | 'builtin';

export interface InstalledModel {
  id: string;
  displayName: string;
  family: ModelFamily;
  /** An imported inpainting model (9-channel UNet); catalog models say it in their entry. */
  inpainting?: boolean;
  /** The model's files include a tiny decoder (vae_decoder_tiny/), so it can decode fast and preview for real. */
  tinyDecoder: boolean;
  /** The folder the pipeline loads from (the source folder for a referenced import). */
  dir: string;
  state: ModelState;
  origin: ModelOrigin;
  readOnly: boolean;
  /** Bytes of the model's verified files. */
  bytes: number;
  /** Needed files not on disk (partial download, moved source folder). */
  missingFiles: string[];
  /** Files whose size or checksum does not match the record. */
  corruptFiles: string[];
  /** The catalog entry, when this is a model Easel offers (defaults, licence). */
  catalog?: CatalogEntry;
}

export interface VerifyProblem {
  file: string;
  /** `unreadable`: the model-folder reader refuses the folder as it is on disk now (`message` says why). */
  problem: 'missing' | 'size' | 'sha256' | 'unreadable';
  message?: string;
}

export interface VerifyReport {
  id: string;
  ok: boolean;
  checkedFiles: number;
  problems: VerifyProblem[];
}

export interface ImportOptions {
  /** Copy the files into the models folder (default), or use them where they are. */
  mode?: 'copy' | 'reference';
  /** Defaults to a slug of the folder name. */
  id?: string;
  displayName?: string;
  onProgress?: (copiedBytes: number, totalBytes: number) => void;
}

export interface ModelStoreOptions {
  /** `models_cache/` in development, the app's user-data `models/` when packaged. */
  modelsDir: string;
  /** The folder holding built-in models (`resources/models`); listed read-only. */
  builtinModelsDir?: string;
  catalog?: readonly CatalogEntry[];
}

const SLUG = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug === '' ? 'imported-model' : slug;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the folder afresh as the pipeline (or the upscaler) would, so verify also catches what sizes and checksums
 * cannot see: a referenced import's file changed in place, a part's header no longer readable, a file added that
 * the reader refuses. Files the reader names as missing are reported one by one.
 */
async function folderProblems(model: InstalledModel): Promise<VerifyProblem[]> {
  const { dir } = model;
  try {
    await (model.family === 'upscaler'
      ? readUpscalerFolder(dir)
      : model.family === 'tiny-decoder'
        ? readTinyDecoderFolder(dir)
        : readModelFolder(dir));
    return [];
  } catch (error) {
    if (!(error instanceof EaselError) || (error.code !== 'model_invalid' && error.code !== 'model_unsafe')) throw error;
    const missing = (error.detail as { missing?: string[] } | undefined)?.missing;
    if (missing !== undefined && missing.length > 0) return missing.map((file): VerifyProblem => ({ file, problem: 'missing' }));
    const detail = error.detail as { file?: string; path?: string } | undefined;
    const named = detail?.file ?? detail?.path;
    const file = named === undefined ? '.' : path.isAbsolute(named) ? path.relative(dir, named).split(path.sep).join('/') : named;
    return [{ file, problem: 'unreadable', message: error.message }];
  }
}

/**
 * Reads a folder offered for import: not_found when the path is no folder, and the reader's own refusals
 * otherwise, except that missing files are named as the import's problem.
 */
async function readImportedFolder(dir: string): Promise<ModelFolder> {
  const stat = await fsp.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new EaselError('not_found', `${dir} is not a folder Easel can open.`, { path: dir });
  }
  try {
    return await readModelFolder(dir);
  } catch (error) {
    const missing = error instanceof EaselError && error.code === 'model_invalid' ? (error.detail as { missing?: string[] } | undefined)?.missing : undefined;
    if (missing === undefined || missing.includes(MODEL_INDEX)) throw error;
    throw new EaselError('model_invalid', `${dir} is missing files the pipeline needs: ${missing.join(', ')}.`, { missing });
  }
}

async function copyWithHash(
  source: string,
  target: string,
  onBytes: (bytes: number) => void,
): Promise<string> {
  const hash = createHash('sha256');
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const input = createReadStream(source);
  input.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  });
  await pipeline(input, createWriteStream(target));
  return hash.digest('hex');
}

export class ModelStore {
  readonly modelsDir: string;
  private readonly builtinModelsDir: string | undefined;
  private readonly catalog: readonly CatalogEntry[];

  constructor(options: ModelStoreOptions) {
    this.modelsDir = path.resolve(options.modelsDir);
    this.builtinModelsDir = options.builtinModelsDir ? path.resolve(options.builtinModelsDir) : undefined;
    this.catalog = options.catalog ?? CATALOG;
  }

  /** Deletes what a remove or an import cut short by a crash left behind (hidden `.removing-*`/`.importing-*` folders). */
  async removeLeftovers(): Promise<string[]> {
    const names = await fsp.readdir(this.modelsDir).catch(() => [] as string[]);
    const leftovers = names.filter((name) => name.startsWith('.removing-') || name.startsWith('.importing-'));
    await Promise.all(leftovers.map((name) => fsp.rm(path.join(this.modelsDir, name), { recursive: true, force: true })));
    return leftovers;
  }

  /** Where a downloaded or copied model lives. */
  modelDir(id: string): string {
    if (!SLUG.test(id)) throw new EaselError('invalid_request', `${JSON.stringify(id)} is not a valid model id.`);
    return path.join(this.modelsDir, id);
  }

  async list(): Promise<InstalledModel[]> {
    const models: InstalledModel[] = [];
    for (const entry of this.catalog.filter((e) => e.source.kind === 'builtin')) {
      const builtin = await this.describeBuiltin(entry);
      if (builtin) models.push(builtin);
    }
    const names = await fsp.readdir(this.modelsDir, { withFileTypes: true }).catch(() => []);
    for (const dirent of names) {
      if (!dirent.isDirectory() || !SLUG.test(dirent.name)) continue;
      const model = await this.describe(dirent.name);
      if (model) models.push(model);
    }
    return models;
  }

  async get(id: string): Promise<InstalledModel | undefined> {
    const entry = this.catalog.find((e) => e.id === id);
    if (entry?.source.kind === 'builtin') return this.describeBuiltin(entry);
    return this.describe(id);
  }

  private async describeBuiltin(entry: CatalogEntry): Promise<InstalledModel | undefined> {
    if (!this.builtinModelsDir) return undefined;
    const dir = path.join(this.builtinModelsDir, entry.id);
    const present = await Promise.all(entry.files.map(async (f) => ((await exists(path.join(dir, f.path))) ? f : undefined)));
    const missingFiles = entry.files.filter((_, i) => present[i] === undefined).map((f) => f.path);
    let bytes = 0;
    for (const file of entry.files) bytes += (await fsp.stat(path.join(dir, file.path)).catch(() => undefined))?.size ?? 0;
    return {
      id: entry.id,
      displayName: entry.displayName,
      family: entry.family,
      dir,
      state: missingFiles.length === 0 ? 'complete' : 'missing-files',
      origin: 'builtin',
      readOnly: true,
      tinyDecoder: entry.files.some((file) => file.path === TINY_DECODER_FILE),
      bytes,
      missingFiles,
      corruptFiles: [],
      catalog: entry,
    };
  }

  private async describe(id: string): Promise<InstalledModel | undefined> {
    const dir = this.modelDir(id);
    const catalogEntry = this.catalog.find((e) => e.id === id);
    const manifest = await readManifest(dir).catch((error: unknown) => {
      if (error instanceof EaselError) return null;
      throw error;
    });
    if (manifest === null) {
      return {
        id,
        displayName: catalogEntry?.displayName ?? id,
        family: catalogEntry?.family ?? 'sd15',
        dir,
        state: 'corrupt',
        origin: 'download',
        readOnly: false,
        tinyDecoder: false,
        bytes: 0,
        missingFiles: [],
        corruptFiles: [MANIFEST_NAME],
        ...(catalogEntry ? { catalog: catalogEntry } : {}),
      };
    }
    if (!manifest) {
      // A download that has not finished its first file yet leaves only partials behind.
      if (!catalogEntry || !(await exists(dir))) return undefined;
      return {
        id,
        displayName: catalogEntry.displayName,
        family: catalogEntry.family,
        dir,
        state: 'partial',
        origin: 'download',
        readOnly: false,
        tinyDecoder: false,
        bytes: 0,
        missingFiles: catalogEntry.files.map((f) => f.path),
        corruptFiles: [],
        catalog: catalogEntry,
      };
    }
    const filesDir = manifest.source.kind === 'imported' && manifest.source.mode === 'reference' ? manifest.source.path : dir;
    const absent: string[] = [];
    const notYetFetched: string[] = [];
    const corruptFiles: string[] = [...(manifest.corruptFiles ?? [])];
    let bytes = 0;
    for (const file of manifest.expectedFiles) {
      const record = manifest.files[file];
      if (!record) {
        if (!corruptFiles.includes(file)) notYetFetched.push(file);
        continue;
      }
      const size = (await fsp.stat(path.join(filesDir, file)).catch(() => undefined))?.size;
      if (size === undefined) absent.push(file);
      else if (size !== record.bytes) corruptFiles.push(file);
      else bytes += size;
    }
    const origin: ModelOrigin =
      manifest.source.kind === 'huggingface' ? 'download' : manifest.source.mode === 'copy' ? 'import-copy' : 'import-reference';
    const state: ModelState =
      corruptFiles.length > 0
        ? 'corrupt'
        : absent.length > 0
          ? 'missing-files'
          : notYetFetched.length > 0
            ? 'partial'
            : 'complete';
    return {
      id,
      displayName: manifest.displayName,
      family: manifest.family,
      ...(manifest.inpainting ? { inpainting: true } : {}),
      dir: filesDir,
      state,
      origin,
      readOnly: false,
      tinyDecoder: manifest.expectedFiles.includes(TINY_DECODER_FILE),
      bytes,
      missingFiles: [...absent, ...notYetFetched],
      corruptFiles,
      ...(catalogEntry ? { catalog: catalogEntry } : {}),
    };
  }

  private async requireModel(id: string): Promise<InstalledModel> {
    const model = await this.get(id);
    if (!model) throw new EaselError('not_found', `No installed model is called ${JSON.stringify(id)}.`, { id });
    return model;
  }

  /** Re-reads every recorded file: sizes and SHA-256 against the manifest. Damaged files are marked. */
  async verify(id: string, onFile?: (file: string, index: number, count: number) => void): Promise<VerifyReport> {
    const model = await this.requireModel(id);
    if (model.origin === 'builtin') {
      const problems = model.missingFiles.map((file): VerifyProblem => ({ file, problem: 'missing' }));
      if (problems.length === 0) problems.push(...(await folderProblems(model)));
      return { id, ok: problems.length === 0, checkedFiles: model.catalog?.files.length ?? 0, problems };
    }
    const dir = this.modelDir(id);
    const manifest = await readManifest(dir);
    if (!manifest) throw new EaselError('model_invalid', `${id} has no completed files to verify yet.`, { id });
    const problems: VerifyProblem[] = [];
    const recorded = Object.entries(manifest.files);
    let index = 0;
    for (const [file, record] of recorded) {
      onFile?.(file, index, recorded.length);
      index += 1;
      const full = path.join(model.dir, file);
      const size = (await fsp.stat(full).catch(() => undefined))?.size;
      if (size === undefined) problems.push({ file, problem: 'missing' });
      else if (size !== record.bytes) problems.push({ file, problem: 'size' });
      else if (record.sha256 && (await sha256OfFile(full)) !== record.sha256) problems.push({ file, problem: 'sha256' });
    }
    if (problems.length === 0) problems.push(...(await folderProblems(model)));
    const damaged = problems.filter((p) => p.problem === 'size' || p.problem === 'sha256').map((p) => p.file);
    if (damaged.length > 0) {
      for (const file of damaged) delete manifest.files[file];
      manifest.corruptFiles = [...new Set([...(manifest.corruptFiles ?? []), ...damaged])];
      await writeManifest(dir, manifest);
    } else if (problems.length === 0 && manifest.corruptFiles?.length) {
      delete manifest.corruptFiles;
      await writeManifest(dir, manifest);
    }
    return { id, ok: problems.length === 0 && !manifest.corruptFiles?.length, checkedFiles: recorded.length, problems };
  }

  /** Deletes a downloaded or copied model; for a referenced import only Easel's record goes. */
  async remove(id: string): Promise<void> {
    const model = await this.requireModel(id);
    if (model.readOnly) {
      throw new EaselError('forbidden', `${model.displayName} is built into Easel and cannot be removed.`, { id });
    }
    const dir = this.modelDir(id);
    // Only a folder Easel made (its manifest says so) is deleted; a person's own folder of that name stays.
    if (!(await readManifest(dir))) {
      throw new EaselError('forbidden', `${id} in ${this.modelsDir} was not made by Easel, so Easel does not delete it.`, { id });
    }
    // Rename first so a crash mid-delete never leaves a half model that still looks installed.
    const trash = path.join(this.modelsDir, `.removing-${id}-${randomBytes(4).toString('hex')}`);
    await fsp.rename(dir, trash);
    await fsp.rm(trash, { recursive: true, force: true });
  }

  async importFolder(sourceDir: string, options: ImportOptions = {}): Promise<InstalledModel> {
    const source = path.resolve(sourceDir);
    const { files, family, inpainting } = await readImportedFolder(source);
    const id = options.id ?? slugify(path.basename(source));
    const dir = this.modelDir(id);
    if (this.catalog.some((e) => e.id === id) || (await exists(dir))) {
      throw new EaselError('invalid_request', `A model called ${id} already exists. Choose another name for the import.`, { id });
    }
    const mode = options.mode ?? 'copy';
    const manifest: ModelManifest = {
      version: 1,
      id,
      displayName: options.displayName ?? path.basename(source),
      family,
      ...(inpainting ? { inpainting: true } : {}),
      source: { kind: 'imported', path: source, mode },
      expectedFiles: files,
      files: {},
      updatedAt: new Date().toISOString(),
    };
    await fsp.mkdir(this.modelsDir, { recursive: true });
    const staging = path.join(this.modelsDir, `.importing-${id}-${randomBytes(4).toString('hex')}`);
    await fsp.mkdir(staging);
    try {
      if (mode === 'copy') {
        const sizes = await Promise.all(files.map(async (f) => (await fsp.stat(path.join(source, f))).size));
        const total = sizes.reduce((a, b) => a + b, 0);
        let copied = 0;
        for (const file of files) {
          const sha256 = await copyWithHash(path.join(source, file), path.join(staging, file), (n) => {
            copied += n;
            options.onProgress?.(copied, total);
          });
          manifest.files[file] = { bytes: (await fsp.stat(path.join(staging, file))).size, sha256 };
        }
      } else {
        for (const file of files) manifest.files[file] = { bytes: (await fsp.stat(path.join(source, file))).size };
      }
      await writeManifest(staging, manifest);
      await fsp.rename(staging, dir);
    } catch (error) {
      await fsp.rm(staging, { recursive: true, force: true });
      if (errnoIs(error, 'ENOSPC')) {
        throw new EaselError('disk_full', `The disk filled up while copying the model into ${this.modelsDir}. Free some space, or import it by reference.`);
      }
      throw error;
    }
    return (await this.describe(id)) as InstalledModel;
  }
}

function errnoIs(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}
