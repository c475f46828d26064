/**
 * THE reader of a model folder (the diffusers/optimum ONNX layout). `readModelFolder(dir)` reads a folder
 * once — file list, model_index.json, scheduler config, tokenizers, every ONNX part's inputs and outputs and
 * external weights — refuses what Easel never loads (files that can run code, links and external weights
 * that leave the folder, custom operators), and returns one typed `ModelFolder`. The store (import), the
 * models service (generation), the setup self-test and the pipeline all use it.
 *
 * How a new part or kind plugs in:
 * - A new ONNX part (e.g. a tiny VAE decoder, a ControlNet): add its name to `ModelPartName` and a row to
 *   `MODEL_PARTS` (its folder, when it is required, which tokenizer it reads). It is then found, checked and
 *   described in `parts` like every other; nothing else reads files.
 * - A new kind of UNet (inpainting: 9 input channels): decide it from what `parts` already holds (the
 *   `sample` input's shape gives `unetInChannels`), not from another read.
 * - A new classification clue: add it to `detectArchitecture` (model-folder/classify.ts); the family the
 *   catalog and the screens show follows from the architecture.
 * - Adapters (LoRA, embeddings) and converted checkpoints are applied to or produce ordinary folders; they
 *   do not change this reader.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ModelFamily } from '../../../src-preload/api';
import { EaselError } from '../errors';
import { type ModelArchitecture, detectArchitecture, familyOf } from './model-folder/classify';
import { listFiles, numberField, readJsonObject, refuseCodeRunningFiles, stringField } from './model-folder/files';
import { type OnnxValueInfo, checkOnnxFile } from './model-folder/onnx-file';

export type { ModelArchitecture } from './model-folder/classify';
export { REFUSED_EXTENSIONS, isRefusedFile } from './model-folder/files';
export type { OnnxElementType, OnnxValueInfo } from './model-folder/onnx-file';
export { readUpscalerFolder, type UpscalerFolder } from './model-folder/upscaler';
export { readTinyDecoderFolder, TINY_DECODER_ADDON_COMPONENT, type TinyDecoderFolder } from './model-folder/tiny-decoder';

/** The ONNX graphs a model folder can hold, by the folder each lives in. */
export type ModelPartName = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'vae_decoder_tiny';

export type TokenizerFolder = 'tokenizer' | 'tokenizer_2';

export interface ModelPartSpec {
  part: ModelPartName;
  /** The folder holding `model.onnx` (and its config and external weights). */
  folder: string;
  /** 'always'; 'xl': only SDXL pipelines need it; 'optional': used when present. */
  required: 'always' | 'xl' | 'optional';
  /** The tokenizer whose ids this part reads; it must be present whenever the part is. */
  tokenizer: TokenizerFolder | null;
}

/** Every part Easel knows, in the order they are checked. */
export const MODEL_PARTS: readonly ModelPartSpec[] = [
  { part: 'text_encoder', folder: 'text_encoder', required: 'always', tokenizer: 'tokenizer' },
  { part: 'text_encoder_2', folder: 'text_encoder_2', required: 'xl', tokenizer: 'tokenizer_2' },
  { part: 'unet', folder: 'unet', required: 'always', tokenizer: null },
  { part: 'vae_decoder', folder: 'vae_decoder', required: 'always', tokenizer: null },
  { part: 'vae_encoder', folder: 'vae_encoder', required: 'optional', tokenizer: null },
  { part: 'vae_decoder_tiny', folder: 'vae_decoder_tiny', required: 'optional', tokenizer: null },
];

/** The files a tokenizer folder must hold. */
export const TOKENIZER_FILES = ['vocab.json', 'merges.txt'] as const;

export const MODEL_INDEX = 'model_index.json';
/** Where a model folder carries its own tiny decoder (TAESD's architecture), for previews and fast decoding. */
export const TINY_DECODER_FILE = 'vae_decoder_tiny/model.onnx';
export const SCHEDULER_CONFIG = 'scheduler/scheduler_config.json';

/** One ONNX part as it is on disk. */
export interface ModelPart {
  part: ModelPartName;
  /** Absolute path of its `model.onnx`. */
  path: string;
  /** The same, `/`-separated and relative to the model folder. */
  file: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** The external-weight files it reads, relative to the model folder (none when the weights are inline). */
  externalData: string[];
}

export type ModelParts = Partial<Record<ModelPartName, ModelPart>> & Record<'text_encoder' | 'unet' | 'vae_decoder', ModelPart>;

export interface ModelFolder {
  /** Absolute. */
  dir: string;
  /** A human name: model_index's `_name_or_path` when it has one, else the folder name. */
  name: string;
  /** The published model line, for people and the catalog (see classify.ts for why both exist). */
  family: ModelFamily;
  /** The network, for the pipeline. */
  architecture: ModelArchitecture;
  /** True for SDXL-based models (SDXL, SDXL-Turbo, LCM-SDXL): two text encoders, pooled embeds, time ids. */
  xl: boolean;
  modelIndex: Record<string, unknown>;
  /** The parsed `scheduler/scheduler_config.json`, handed to the scheduler factory as it is. */
  schedulerConfig: Record<string, unknown>;
  schedulerClass: string | null;
  tokenizerDir: string;
  /** The second tokenizer of SDXL models; null otherwise. */
  tokenizer2Dir: string | null;
  /** Latents are multiplied by this after VAE encoding and divided by it before decoding. */
  vaeScalingFactor: number;
  /** The VAE config's sample_size (its image tile for large images) and block count, as diffusers reads them. */
  vaeSampleSize: number;
  vaeBlockCount: number;
  /** SDXL pipelines zero the negative conditioning when the negative prompt is empty. */
  forceZerosForEmptyPrompt: boolean;
  parts: ModelParts;
  /**
   * Channels of the UNet's `sample` input: 4 for text-to-image UNets, 9 for inpainting ones. Exports with a
   * symbolic channel axis (the legacy script's) say it only in unet/config.json's in_channels; null if neither does.
   */
  unetInChannels: number | null;
  /** An inpainting UNet: its sample is the latents, the mask and the masked image's latents (9 channels). */
  inpainting: boolean;
  /**
   * The UNet's native image size in pixels: pinned by its sample input in fixed-shape exports (`fixed`), else
   * its config's sample_size × 8, else its family's.
   */
  nativeSize: NativeSize;
  /** Every file in the folder, `/`-separated, relative and sorted. */
  files: string[];
}

const SD1_SCALING = 0.18215;
const INPAINT_CHANNELS = 9;
const SDXL_SCALING = 0.13025;

/**
 * Reads and checks a model folder. Throws model_unsafe for anything that could run code or read outside the
 * folder, model_invalid for a folder that is not a complete model in the ONNX layout (naming what is missing
 * in `detail.missing`).
 */
export async function readModelFolder(dir: string): Promise<ModelFolder> {
  const root = path.resolve(dir);
  const stat = await fsp.stat(root).catch(() => null);
  if (stat === null || !stat.isDirectory()) {
    throw new EaselError('model_invalid', `The model folder ${root} does not exist or is not a folder.`, { dir: root });
  }
  const files = await listFiles(root);
  refuseCodeRunningFiles(root, files);

  const modelIndex = await readJsonObject(root, MODEL_INDEX, false);
  if (modelIndex === null) {
    throw new EaselError(
      'model_invalid',
      `${root} has no ${MODEL_INDEX}, so it is not a model in the diffusers ONNX layout. Export the model with optimum (ONNX) and import the exported folder.`,
      { dir: root, missing: [MODEL_INDEX] },
    );
  }
  const has = new Set(files);
  const pipelineClass = stringField(modelIndex, '_class_name') ?? '';
  const xl = has.has(partFile('text_encoder_2')) || /XL/.test(pipelineClass) || Array.isArray(modelIndex['text_encoder_2']);

  const present = MODEL_PARTS.filter((spec) => has.has(partFile(spec.part)));
  const needed = MODEL_PARTS.filter((spec) => spec.required === 'always' || (spec.required === 'xl' && xl));
  const tokenizers = new Set([...present, ...needed].flatMap((spec) => (spec.tokenizer === null ? [] : [spec.tokenizer])));
  const missing = [
    ...(has.has(SCHEDULER_CONFIG) ? [] : [SCHEDULER_CONFIG]),
    ...[...tokenizers].flatMap((folder) => TOKENIZER_FILES.map((file) => `${folder}/${file}`)),
    ...needed.map((spec) => partFile(spec.part)),
  ].filter((file) => !has.has(file));
  if (missing.length > 0) {
    throw new EaselError('model_invalid', `The model folder ${root} has no ${listInWords(missing)}.`, { dir: root, missing });
  }

  // Every ONNX file is checked, parts or not: none may reach outside the folder or need a native library.
  const parts: Partial<Record<ModelPartName, ModelPart>> = {};
  for (const file of files.filter((f) => f.toLowerCase().endsWith('.onnx'))) {
    const full = path.join(root, file);
    const info = checkOnnxFile(full, root);
    const spec = present.find((candidate) => partFile(candidate.part) === file);
    if (spec === undefined) continue;
    parts[spec.part] = {
      part: spec.part,
      path: full,
      file,
      inputs: info.inputs,
      outputs: info.outputs,
      externalData: [...new Set(info.externalData.map((ref) => path.posix.join(spec.folder, ref.location.replace(/\\/g, '/'))))],
    };
  }

  const schedulerConfig = await readJsonObject(root, SCHEDULER_CONFIG, true);
  const schedulerClass = stringField(schedulerConfig, '_class_name');
  const unetConfig = (await readJsonObject(root, 'unet/config.json', false)) ?? {};
  const vaeConfig = await readJsonObject(root, 'vae_decoder/config.json', false);
  const textEncoderConfig = await readJsonObject(root, 'text_encoder/config.json', false);
  const nameOrPath = stringField(modelIndex, '_name_or_path');
  const architecture = detectArchitecture({
    xl,
    pipelineClass,
    schedulerClass,
    schedulerConfig,
    unetConfig,
    textEncoderHiddenSize: numberField(textEncoderConfig, 'hidden_size'),
    name: `${nameOrPath ?? ''} ${path.basename(root)}`,
  });

  const scaling = numberField(vaeConfig, 'scaling_factor') ?? (xl ? SDXL_SCALING : SD1_SCALING);
  if (!(scaling > 0)) {
    throw new EaselError('model_invalid', `The model folder ${root} has a VAE scaling_factor of ${scaling}; it must be positive.`, {
      dir: root,
    });
  }
  const forceZeros = modelIndex['force_zeros_for_empty_prompt'];
  const sampleSize = vaeConfig?.['sample_size'];
  const vaeSample = Array.isArray(sampleSize) ? (sampleSize[0] as unknown) : sampleSize;
  const blocks = vaeConfig?.['block_out_channels'];
  const typedParts = parts as ModelParts;
  const sampleShape = typedParts.unet.inputs.find((input) => input.name === 'sample')?.shape ?? [];
  const sampleChannels = sampleShape[1];
  const unetInChannels = typeof sampleChannels === 'number' ? sampleChannels : numberField(unetConfig, 'in_channels');
  return {
    dir: root,
    name: nameOrPath !== null && nameOrPath !== '' ? path.basename(nameOrPath) : path.basename(root),
    family: familyOf(architecture, xl),
    architecture,
    xl,
    modelIndex,
    schedulerConfig,
    schedulerClass,
    tokenizerDir: path.join(root, 'tokenizer'),
    tokenizer2Dir: typedParts.text_encoder_2 === undefined ? null : path.join(root, 'tokenizer_2'),
    vaeScalingFactor: scaling,
    vaeSampleSize: typeof vaeSample === 'number' && vaeSample >= 64 ? vaeSample : xl ? 1024 : 512,
    vaeBlockCount: Array.isArray(blocks) && blocks.length > 0 ? blocks.length : 4,
    forceZerosForEmptyPrompt: typeof forceZeros === 'boolean' ? forceZeros : xl,
    parts: typedParts,
    unetInChannels,
    inpainting: unetInChannels === INPAINT_CHANNELS,
    nativeSize: nativeSize(sampleShape, unetConfig, architecture, xl),
    files,
  };
}

export interface NativeSize {
  width: number;
  height: number;
  /** The export accepts no other size. */
  fixed: boolean;
}

function nativeSize(
  sampleShape: ReadonlyArray<number | string | null | undefined>,
  unetConfig: Record<string, unknown>,
  architecture: ModelArchitecture,
  xl: boolean,
): NativeSize {
  const [height, width] = [sampleShape[2], sampleShape[3]];
  if (typeof height === 'number' && typeof width === 'number' && height > 0 && width > 0) {
    return { width: width * 8, height: height * 8, fixed: true };
  }
  const sampleSize = numberField(unetConfig, 'sample_size');
  const side = sampleSize !== null && Number.isInteger(sampleSize) && sampleSize >= 8 ? sampleSize * 8 : xl ? 1024 : architecture === 'sd2' ? 768 : 512;
  return { width: side, height: side, fixed: false };
}

function partFile(part: ModelPartName): string {
  const spec = MODEL_PARTS.find((candidate) => candidate.part === part)!;
  return `${spec.folder}/model.onnx`;
}

/** "a", "a and b", "a, b and c". */
function listInWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * Remembers folders already read, so queuing a request or counting a prompt's tokens does not parse every
 * ONNX header again (those reads are synchronous and would hold up progress and cancel of a running job).
 * A remembered folder is used only while every file it lists keeps its size and modification time.
 */
export class ModelFolderCache {
  private readonly folders = new Map<string, { fingerprint: string; folder: ModelFolder }>();

  async read(dir: string): Promise<ModelFolder> {
    const root = path.resolve(dir);
    const known = this.folders.get(root);
    if (known !== undefined && (await fingerprintOf(root, known.folder.files)) === known.fingerprint) return known.folder;
    const folder = await readModelFolder(root);
    this.folders.set(root, { fingerprint: await fingerprintOf(root, folder.files), folder });
    return folder;
  }

  forget(dir: string): void {
    this.folders.delete(path.resolve(dir));
  }
}

async function fingerprintOf(root: string, files: readonly string[]): Promise<string> {
  const stats = await Promise.all(files.map((file) => fsp.stat(path.join(root, file)).catch(() => null)));
  return stats.map((stat) => (stat === null ? '-' : `${stat.size}:${stat.mtimeMs}`)).join('|');
}
