/**
 * ONNX Runtime rewrites a graph (fusions, layouts, constant folding) every time it opens it, which takes
 * seconds for a UNet. With its optimised-model file option it also writes the result; this keeps that file
 * per model file and provider in the data folder, so the next start of the same model opens the optimised
 * graph with optimisation off. An entry is stamped with what it was made from (the model folder's file
 * sizes and times, the provider, ONNX Runtime's version) and is made again when any of that changes.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ProviderName } from '../../../src-preload/api';

export const OPTIMIZED_MODEL_FILE = 'model.onnx';
/** Weights go beside the optimised graph, as in the exports, so a 3 GB UNet stays under protobuf's 2 GB limit. */
export const OPTIMIZED_WEIGHTS_FILE = 'model.onnx_data';
const STAMP_FILE = 'stamp.json';

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
  const stamp = JSON.stringify({ modelPath, provider, runtimeVersion, files: await folderStamp(path.dirname(modelPath)) });
  const current = await readFile(path.join(dir, STAMP_FILE), 'utf8').catch(() => null);
  const discard = () => rm(dir, { recursive: true, force: true });
  if (current === stamp) {
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
