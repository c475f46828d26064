import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import type { ModelFamily } from './catalog';

export const MANIFEST_NAME = 'easel-manifest.json';

export interface ManifestFile {
  bytes: number;
  /** Lower-case hex; always present for downloaded and copied files. */
  sha256?: string;
}

export type ManifestSource =
  | { kind: 'huggingface'; repo: string; revision: string; endpoint: string }
  | { kind: 'imported'; path: string; mode: 'copy' | 'reference' };

/** What Easel knows about one model folder; written after every verified file. */
export interface ModelManifest {
  version: 1;
  id: string;
  displayName: string;
  family: ModelFamily;
  /** An imported folder whose UNet takes 9 channels (absent in records written before it was noted). */
  inpainting?: boolean;
  source: ManifestSource;
  /** Every file the model needs, relative to the model folder (or to the source folder for references). */
  expectedFiles: string[];
  /** The files that were verified, by relative path. */
  files: Record<string, ManifestFile>;
  /** For a model converted from a single-file checkpoint: the file it came from (A1111 names it by shortHash). */
  checkpoint?: {
    file: string;
    sha256: string;
    /** The first 10 hex digits of sha256, A1111's "Model hash". */
    shortHash: string;
    family: 'sd1' | 'sd2' | 'sdxl';
    inpainting: boolean;
    weights: 'float16' | 'float32';
  };
  /** Files a verification found damaged; the next download fetches them again. */
  corruptFiles?: string[];
  updatedAt: string;
}

export function manifestPath(modelDir: string): string {
  return path.join(modelDir, MANIFEST_NAME);
}

/** Undefined when there is no manifest; a typed error when there is one Easel cannot read. */
export async function readManifest(modelDir: string): Promise<ModelManifest | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(manifestPath(modelDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as ModelManifest;
    if (parsed.version !== 1 || typeof parsed.files !== 'object' || !Array.isArray(parsed.expectedFiles)) {
      throw new Error('unexpected shape');
    }
    return parsed;
  } catch {
    throw new EaselError(
      'model_invalid',
      `The model record ${manifestPath(modelDir)} is damaged. Remove the model and download or import it again.`,
      { path: manifestPath(modelDir) },
    );
  }
}

export async function writeManifest(modelDir: string, manifest: ModelManifest): Promise<void> {
  await writeFileAtomic(
    manifestPath(modelDir),
    `${JSON.stringify({ ...manifest, updatedAt: new Date().toISOString() }, null, 2)}\n`,
  );
}
