/**
 * ONNX Runtime rewrites a graph (fusions, layouts, constant folding) every time it opens it, which takes
 * seconds for a UNet. With its optimised-model file option it also writes the result; this keeps that file
 * per model file and provider in the data folder, so the next start of the same model opens the optimised
 * graph with optimisation off. An entry is stamped with what it was made from (the model folder's file
 * sizes and times, the provider, ONNX Runtime's version) and is made again when any of that changes.
 * Each kept graph is a second copy of a model's weights on disk, so stale ones are deleted: those of a
 * removed model at once, and on each start those whose model changed or is gone, those of another ONNX
 * Runtime version, and past a size cap the least recently used.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ProviderName } from '../../../src-preload/api';

export const OPTIMIZED_MODEL_FILE = 'model.onnx';
/** Weights go beside the optimised graph, as in the exports, so a 3 GB UNet stays under protobuf's 2 GB limit. */
export const OPTIMIZED_WEIGHTS_FILE = 'model.onnx_data';
const STAMP_FILE = 'stamp.json';
/** The kept graphs together stay under this (a fp32 SD 1.5 UNet's is 3.4 GB, an fp16 SDXL one's 5 GB). */
export const OPTIMIZED_MODELS_MAX_BYTES = 16 * 2 ** 30;
/** A staging folder this old is left from a start that crashed; a start in progress writes to its own. */
const ABANDONED_STAGING_MS = 60 * 60 * 1000;

interface Stamp {
  modelPath: string;
  provider: ProviderName;
  runtimeVersion: string;
  files: Array<[string, number, number]>;
}

export interface OptimizedModelEntry {
  /** The cached optimised graph, when a valid one exists. */
  ready: string | null;
  /** Where ORT should write the optimised graph when there is none yet (a staging folder, see commit). */
  staging: string | null;
  /** Moves a staged graph into place; a no-op for a ready one. */
  commit(): Promise<void>;
  /** Forgets this entry (an optimised graph ONNX Runtime then failed to open). */
  discard(): Promise<void>;
}

/** Where the optimised graphs live in Easel's data folder. */
export function optimizedModelDir(dataDir: string): string {
  return path.join(dataDir, 'optimized-models');
}

export function onnxRuntimeVersion(): string {
  const requireFromHere = createRequire(__filename);
  return (requireFromHere('onnxruntime-node/package.json') as { version: string }).version;
}

/** The cache entry for one model file on one provider. */
export async function optimizedModelEntry(
  cacheDir: string,
  modelPath: string,
  provider: ProviderName,
  runtimeVersion: string = onnxRuntimeVersion(),
): Promise<OptimizedModelEntry> {
  const name = createHash('sha256').update(JSON.stringify([modelPath, provider])).digest('hex').slice(0, 24);
  const dir = path.join(cacheDir, name);
  const stamp = JSON.stringify({ modelPath, provider, runtimeVersion, files: await folderStamp(path.dirname(modelPath)) } satisfies Stamp);
  const stampPath = path.join(dir, STAMP_FILE);
  const current = await readFile(stampPath, 'utf8').catch(() => null);
  const discard = () => rm(dir, { recursive: true, force: true });
  if (current === stamp) {
    // The stamp's time says when the graph was last used, for the size cap.
    const now = new Date();
    await utimes(stampPath, now, now).catch(() => undefined);
    return { ready: path.join(dir, OPTIMIZED_MODEL_FILE), staging: null, commit: async () => undefined, discard };
  }
  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(path.join(cacheDir, `.${name}-`));
  return {
    ready: null,
    staging: path.join(staging, OPTIMIZED_MODEL_FILE),
    async commit() {
      await writeFile(path.join(staging, STAMP_FILE), stamp);
      await discard();
      await rename(staging, dir).catch(async () => {
        // Another process put its own in place first; theirs is as good.
        await rm(staging, { recursive: true, force: true });
      });
    },
    discard: async () => {
      await rm(staging, { recursive: true, force: true });
      await discard();
    },
  };
}

/** Name, size and modification time of every file beside the model (its graph and its external weights). */
async function folderStamp(dir: string): Promise<Array<[string, number, number]>> {
  const names = (await readdir(dir)).sort();
  const files: Array<[string, number, number]> = [];
  for (const name of names) {
    const info = await stat(path.join(dir, name));
    if (info.isFile()) files.push([name, info.size, Math.trunc(info.mtimeMs)]);
  }
  return files;
}

/**
 * Deletes the kept graphs that can no longer be used: their model folder is gone or its files changed, they
 * were made by another ONNX Runtime version, they have no readable stamp, or they are staging folders
 * abandoned by a start that crashed. Past `maxBytes` together, the least recently used go too. Returns the
 * folders deleted.
 */
export async function pruneOptimizedModels(
  cacheDir: string,
  options: { runtimeVersion?: string; maxBytes?: number; now?: number } = {},
): Promise<string[]> {
  const runtimeVersion = options.runtimeVersion ?? onnxRuntimeVersion();
  const maxBytes = options.maxBytes ?? OPTIMIZED_MODELS_MAX_BYTES;
  const now = options.now ?? Date.now();
  const removed: string[] = [];
  const remove = async (dir: string) => {
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  };
  const kept: Array<{ dir: string; bytes: number; usedMs: number }> = [];
  for (const name of await readdir(cacheDir).catch(() => [])) {
    const dir = path.join(cacheDir, name);
    const info = await stat(dir).catch(() => null);
    if (info === null || !info.isDirectory()) continue;
    if (name.startsWith('.')) {
      if (now - info.mtimeMs > ABANDONED_STAGING_MS) await remove(dir);
      continue;
    }
    const entry = await readEntry(dir);
    if (entry === null || entry.stamp.runtimeVersion !== runtimeVersion || !(await stillMatches(entry.stamp))) {
      await remove(dir);
      continue;
    }
    kept.push({ dir, bytes: entry.bytes, usedMs: entry.usedMs });
  }
  let total = kept.reduce((sum, entry) => sum + entry.bytes, 0);
  for (const entry of kept.sort((a, b) => a.usedMs - b.usedMs)) {
    if (total <= maxBytes) break;
    await remove(entry.dir);
    total -= entry.bytes;
  }
  return removed;
}

/** Deletes the kept graphs of every model file in `modelDir` (a model being removed). Returns the folders deleted. */
export async function forgetOptimizedModels(cacheDir: string, modelDir: string): Promise<string[]> {
  const inside = path.resolve(modelDir) + path.sep;
  const removed: string[] = [];
  for (const name of await readdir(cacheDir).catch(() => [])) {
    if (name.startsWith('.')) continue;
    const dir = path.join(cacheDir, name);
    const entry = await readEntry(dir);
    if (entry !== null && path.resolve(entry.stamp.modelPath).startsWith(inside)) {
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

/** A kept graph's stamp, the bytes its folder holds and when it was last used; null when it has no readable stamp. */
async function readEntry(dir: string): Promise<{ stamp: Stamp; bytes: number; usedMs: number } | null> {
  try {
    const stampPath = path.join(dir, STAMP_FILE);
    const stamp = JSON.parse(await readFile(stampPath, 'utf8')) as Stamp;
    if (typeof stamp.modelPath !== 'string' || !Array.isArray(stamp.files)) return null;
    let bytes = 0;
    for (const name of await readdir(dir)) bytes += (await stat(path.join(dir, name))).size;
    return { stamp, bytes, usedMs: (await stat(stampPath)).mtimeMs };
  } catch {
    return null;
  }
}

/** Whether the model files a graph was made from are still there, unchanged. */
async function stillMatches(stamp: Stamp): Promise<boolean> {
  const files = await folderStamp(path.dirname(stamp.modelPath)).catch(() => null);
  return files !== null && JSON.stringify(files) === JSON.stringify(stamp.files);
}
