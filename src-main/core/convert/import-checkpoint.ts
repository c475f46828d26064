import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { EaselError } from '../errors';
import { formatBytes } from '../format';
import { freeBytesOn } from '../models/disk-space';
import type { ModelFamily } from '../models/catalog';
import { type ModelManifest, writeManifest } from '../models/manifest';
import { readModelFolder } from '../models/model-folder';
import type { Pipeline } from '../pipeline/create';
import type { GenerationParams } from '../pipeline/types';
import { throwIfAborted } from './abort';
import type { ImportStageName } from '../../../src-preload/api';
import type { CheckpointFamily } from './checkpoint';
import { type ConvertStage, conversionStages, convertCheckpoint } from './convert';

/**
 * Imports a single-file checkpoint as an ordinary model folder: disk space checked first, converted into a
 * hidden staging folder in the models folder, verified by generating one tiny image, recorded, then renamed
 * into place. A failure or a cancel at any point removes the staging folder, so nothing half-made is left.
 */
export type ImportStage = Extract<ImportStageName, 'checking' | ConvertStage | 'verifying' | 'installing'>;

export interface ImportProgress {
  stage: ImportStage;
  /** 0-based position of the stage among all of this import's stages. */
  index: number;
  count: number;
  message: string;
  /** Every stage of this import, in order, with what each says. */
  stages: Array<{ stage: ImportStage; label: string }>;
}

/** What verification needs of the pipeline: one generation, and letting go of the folder's sessions. */
export type VerifyingPipeline = Pick<Pipeline, 'generate' | 'forget'>;

export interface ImportCheckpointOptions {
  file: string;
  modelsDir: string;
  /** Easel's copy of the CLIP vocabulary. */
  tokenizerDir: string;
  /** The display name; else the file's own title, else its file name. */
  name?: string;
  /** Where the file came from, for the manifest; an upload's is only its file name. `file` by default. */
  sourcePath?: string;
  /** True when a model of this id exists already (installed or in the catalog). */
  isTaken: (id: string) => Promise<boolean>;
  pipeline: VerifyingPipeline;
  precision?: 'auto' | 'fp32';
  prediction?: 'epsilon' | 'v_prediction';
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
  /** How much space the models folder's volume has left (tests pass a small number). */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface ImportedCheckpoint {
  id: string;
  dir: string;
  displayName: string;
  family: ModelFamily;
  sha256: string;
  shortHash: string;
}

const MODEL_FAMILY: Record<CheckpointFamily, ModelFamily> = { sd1: 'sd15', sd2: 'sd21', sdxl: 'sdxl' };

export const STAGE_MESSAGES: Record<ImportStage, string> = {
  checking: 'Checking the file and the free disk space',
  reading: 'Reading the checkpoint',
  text_encoder: 'Converting the text encoder',
  text_encoder_2: 'Converting the second text encoder',
  unet: 'Converting the UNet',
  vae_decoder: 'Converting the VAE decoder',
  vae_encoder: 'Converting the VAE encoder',
  writing: 'Writing the tokenizer and configs',
  verifying: 'Verifying: generating a test image',
  installing: 'Installing',
};

export async function importCheckpoint(options: ImportCheckpointOptions): Promise<ImportedCheckpoint> {
  const file = path.resolve(options.file);
  const stages: ImportStage[] = ['checking'];
  const report = (stage: ImportStage) => {
    throwIfAborted(options.signal);
    options.onProgress?.({
      stage,
      index: stages.indexOf(stage),
      count: stages.length,
      message: STAGE_MESSAGES[stage],
      stages: stages.map((each) => ({ stage: each, label: STAGE_MESSAGES[each] })),
    });
  };
  if (path.extname(file).toLowerCase() !== '.safetensors') {
    throw new EaselError(
      'model_unsafe',
      `${path.basename(file)} is not a .safetensors file. Easel converts only safetensors checkpoints: other formats (.ckpt, .pt, .bin) are pickles that can run code when loaded. Download the .safetensors version instead.`,
      { file },
    );
  }
  stages.push(...(await conversionStages(file)), 'verifying', 'installing');
  report('checking');
  const size = (await fsp.stat(file).catch(() => null))?.size;
  if (size === undefined) throw new EaselError('not_found', `${file} does not exist.`, { file });
  await fsp.mkdir(options.modelsDir, { recursive: true });
  // The converted weights are about the size of the file (fp16 stays fp16); keep a margin for the graphs.
  const needed = Math.ceil(size * 1.1) + 64 * 1024 * 1024;
  const free = await (options.freeBytes ?? freeBytesOn)(options.modelsDir);
  if (free < needed) {
    throw new EaselError(
      'disk_full',
      `Converting ${path.basename(file)} needs about ${formatBytes(needed)} free in ${options.modelsDir}, which has ${formatBytes(free)}. Free some space and try again.`,
      { needed, free },
    );
  }

  const staging = path.join(options.modelsDir, `.importing-convert-${randomBytes(4).toString('hex')}`);
  try {
    const converted = await convertCheckpoint(file, staging, {
      tokenizerDir: options.tokenizerDir,
      ...(options.precision ? { precision: options.precision } : {}),
      ...(options.prediction ? { prediction: options.prediction } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onStage: (stage) => report(stage),
    });

    report('verifying');
    await verifyByGenerating(options.pipeline, staging, path.basename(file), options.signal);

    report('installing');
    const displayName = options.name?.trim() || converted.title || path.basename(file, path.extname(file));
    const id = await freeId(slugify(displayName), options.isTaken);
    const family = MODEL_FAMILY[converted.family];
    const files = await listFiles(staging);
    const manifest: ModelManifest = {
      version: 1,
      id,
      displayName,
      family,
      source: { kind: 'imported', path: options.sourcePath ?? file, mode: 'copy' },
      expectedFiles: files,
      files: Object.fromEntries(await Promise.all(files.map(async (name) => [name, { bytes: (await fsp.stat(path.join(staging, name))).size }] as const))),
      checkpoint: {
        file: path.basename(file),
        sha256: converted.sha256,
        shortHash: converted.shortHash,
        family: converted.family,
        inpainting: converted.inpainting,
        weights: converted.storage,
      },
      updatedAt: new Date().toISOString(),
    };
    await writeManifest(staging, manifest);
    throwIfAborted(options.signal);
    const dir = path.join(options.modelsDir, id);
    await fsp.rename(staging, dir);
    return { id, dir, displayName, family, sha256: converted.sha256, shortHash: converted.shortHash };
  } catch (error) {
    await options.pipeline.forget(staging).catch(() => undefined);
    await fsp.rm(staging, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new EaselError('disk_full', `The disk filled up while converting ${path.basename(file)}; nothing was kept. Free some space and try again.`);
    }
    throw error;
  }
}

/**
 * One 64×64 image in one unguided step, through the full VAE decoder the conversion wrote: enough to prove every
 * graph loads and runs together. An inpainting UNet (9 channels) repaints a whole-image mask, as it is used.
 */
async function verifyByGenerating(pipeline: VerifyingPipeline, dir: string, fileName: string, signal: AbortSignal | undefined): Promise<void> {
  try {
    // Read as the store and the pipeline read every folder: the converted one must pass the same checks.
    const folder = await readModelFolder(dir);
    const [image] = await pipeline.generate(
      {
        prompt: 'a test image',
        negativePrompt: '',
        steps: 1,
        guidance: 1,
        width: VERIFY_SIDE,
        height: VERIFY_SIDE,
        scheduler: 'euler',
        seed: '1',
        count: 1,
        provider: 'auto',
        preview: false,
        decoder: 'full',
        ...(folder.inpainting ? { initImage: await wholeImageInpaint() } : {}),
      },
      { id: 'verification', name: fileName, folder },
      signal ? { signal } : {},
    );
    if (image === undefined || image.metadata.placeholder) {
      throw new EaselError('inference_failed', `${fileName} was converted, but the result did not generate an image on any execution provider, so it was not installed.`);
    }
  } finally {
    // Sessions hold the files open; the folder is renamed (or removed) next.
    await pipeline.forget(dir);
  }
}

const VERIFY_SIDE = 64;

/** A grey picture with a white (repaint everything) mask, as PNGs in base64. */
async function wholeImageInpaint(): Promise<NonNullable<GenerationParams['initImage']>> {
  const png = async (level: number) =>
    (await sharp({ create: { width: VERIFY_SIDE, height: VERIFY_SIDE, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer()).toString('base64');
  return { data: await png(128), mask: await png(255), strength: 1 };
}

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug === '' ? 'imported-model' : slug;
}

async function freeId(base: string, isTaken: (id: string) => Promise<boolean>): Promise<string> {
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!(await isTaken(id))) return id;
  }
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await fsp.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}
