import fs from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';

/**
 * The network a model folder holds, as the pipeline runs it: sd1/sd2/sdxl are base models; lcm and turbo are
 * distilled ones that run without an unconditional batch. Not the catalog's ModelFamily (src-preload/api.ts),
 * which names published models.
 */
export type ModelArchitecture = 'sd1' | 'sd2' | 'sdxl' | 'lcm' | 'turbo';

/** The ONNX graphs of a diffusers/optimum ONNX export, by the folder each lives in. */
export type ModelPart = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder';

export interface ModelFolder {
  dir: string;
  /** A human name: model_index's `_name_or_path` when it has one, else the folder name. */
  name: string;
  architecture: ModelArchitecture;
  /** True for SDXL-based models (SDXL, SDXL-Turbo, LCM-SDXL): two text encoders, pooled embeds, time ids. */
  xl: boolean;
  /** The parsed `scheduler/scheduler_config.json`, handed to the scheduler factory as it is. */
  schedulerConfig: Record<string, unknown>;
  schedulerClass: string | null;
  /** Latents are multiplied by this after VAE encoding and divided by it before decoding. */
  vaeScalingFactor: number;
  /** SDXL pipelines zero the negative conditioning when the negative prompt is empty. */
  forceZerosForEmptyPrompt: boolean;
  /** Absolute paths of the ONNX graphs present; vae_encoder and text_encoder_2 are optional. */
  onnx: Partial<Record<ModelPart, string>> & { text_encoder: string; unet: string; vae_decoder: string };
  tokenizerDir: string;
  tokenizer2Dir: string | null;
}

/** Weight formats that unpickle (and so can run code) or native libraries that ONNX Runtime would load. */
const UNSAFE_EXTENSIONS = new Set(['.ckpt', '.bin', '.pt', '.pth', '.pkl', '.pickle', '.so', '.dll', '.dylib']);
const SD1_SCALING = 0.18215;
const SDXL_SCALING = 0.13025;

/**
 * Reads a diffusers-layout ONNX model folder: its index, scheduler, tokenizer and VAE configs. Refuses
 * folders that hold files able to run code (model_unsafe) and folders missing a part (model_invalid).
 * The architecture guessed here is confirmed from the UNet's inputs once its session exists.
 */
export async function loadModelFolder(dir: string): Promise<ModelFolder> {
  const root = path.resolve(dir);
  const stat = await fs.promises.stat(root).catch(() => null);
  if (stat === null || !stat.isDirectory()) {
    throw new EaselError('model_invalid', `The model folder ${root} does not exist or is not a folder.`, { dir: root });
  }
  await refuseUnsafeFiles(root);

  const modelIndex = (await readJson(root, 'model_index.json', false)) ?? {};
  const schedulerConfig = await readJson(root, path.join('scheduler', 'scheduler_config.json'), true);
  const vaeConfig = (await readJson(root, path.join('vae_decoder', 'config.json'), false)) ?? {};
  const unetConfig = (await readJson(root, path.join('unet', 'config.json'), false)) ?? {};

  const onnxPath = async (part: ModelPart, required: boolean): Promise<string | undefined> => {
    const file = path.join(root, part, 'model.onnx');
    if (await isFile(file)) return file;
    if (required) {
      throw new EaselError('model_invalid', `The model folder ${root} has no ${part}/model.onnx.`, { dir: root, part });
    }
    return undefined;
  };
  const onnx = {
    text_encoder: (await onnxPath('text_encoder', true))!,
    unet: (await onnxPath('unet', true))!,
    vae_decoder: (await onnxPath('vae_decoder', true))!,
  } as ModelFolder['onnx'];
  const textEncoder2 = await onnxPath('text_encoder_2', false);
  const vaeEncoder = await onnxPath('vae_encoder', false);
  if (textEncoder2 !== undefined) onnx.text_encoder_2 = textEncoder2;
  if (vaeEncoder !== undefined) onnx.vae_encoder = vaeEncoder;

  const tokenizerDir = path.join(root, 'tokenizer');
  await requireTokenizer(root, 'tokenizer');
  const tokenizer2Dir = textEncoder2 === undefined ? null : path.join(root, 'tokenizer_2');
  if (tokenizer2Dir !== null) await requireTokenizer(root, 'tokenizer_2');

  const pipelineClass = stringField(modelIndex, '_class_name') ?? '';
  const schedulerClass = stringField(schedulerConfig, '_class_name');
  const xl = textEncoder2 !== undefined || /XL/.test(pipelineClass);
  if (xl && textEncoder2 === undefined) {
    throw new EaselError('model_invalid', `The model folder ${root} is an SDXL model but has no text_encoder_2/model.onnx.`, {
      dir: root,
      part: 'text_encoder_2',
    });
  }
  const nameOrPath = stringField(modelIndex, '_name_or_path');
  const name = nameOrPath !== null && nameOrPath !== '' ? path.basename(nameOrPath) : path.basename(root);
  const architecture = detectArchitecture({
    xl,
    pipelineClass,
    schedulerClass,
    schedulerConfig,
    unetConfig,
    textEncoderHiddenSize: numberField((await readJson(root, path.join('text_encoder', 'config.json'), false)) ?? {}, 'hidden_size'),
    name: `${nameOrPath ?? ''} ${path.basename(root)}`,
  });

  const scaling = numberField(vaeConfig, 'scaling_factor') ?? (xl ? SDXL_SCALING : SD1_SCALING);
  if (!(scaling > 0)) {
    throw new EaselError('model_invalid', `The model folder ${root} has a VAE scaling_factor of ${scaling}; it must be positive.`, {
      dir: root,
    });
  }
  const forceZeros = modelIndex['force_zeros_for_empty_prompt'];
  return {
    dir: root,
    name,
    architecture,
    xl,
    schedulerConfig: schedulerConfig!,
    schedulerClass,
    vaeScalingFactor: scaling,
    forceZerosForEmptyPrompt: typeof forceZeros === 'boolean' ? forceZeros : xl,
    onnx,
    tokenizerDir,
    tokenizer2Dir,
  };
}

interface ArchitectureClues {
  xl: boolean;
  pipelineClass: string;
  schedulerClass: string | null;
  schedulerConfig: Record<string, unknown> | null;
  unetConfig: Record<string, unknown>;
  textEncoderHiddenSize: number | null;
  name: string;
}

function detectArchitecture(clues: ArchitectureClues): ModelArchitecture {
  const lcm =
    /LatentConsistency/.test(clues.pipelineClass) ||
    clues.schedulerClass === 'LCMScheduler' ||
    typeof clues.unetConfig['time_cond_proj_dim'] === 'number';
  if (lcm) return 'lcm';
  // Turbo checkpoints ship the stock pipeline classes; their trailing-spacing Euler-ancestral
  // scheduler (or their name) is what sets them apart.
  const trailingAncestral =
    clues.schedulerClass === 'EulerAncestralDiscreteScheduler' && clues.schedulerConfig?.['timestep_spacing'] === 'trailing';
  if (trailingAncestral || /turbo/i.test(clues.name)) return 'turbo';
  if (clues.xl) return 'sdxl';
  const crossAttention = clues.unetConfig['cross_attention_dim'];
  if (clues.textEncoderHiddenSize === 1024 || crossAttention === 1024) return 'sd2';
  return 'sd1';
}

async function refuseUnsafeFiles(root: string): Promise<void> {
  const pending: Array<{ dir: string; depth: number }> = [{ dir: root, depth: 0 }];
  while (pending.length > 0) {
    const { dir, depth } = pending.pop()!;
    const entries = await fs.promises.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < 3 && !entry.name.startsWith('.')) pending.push({ dir: full, depth: depth + 1 });
        continue;
      }
      const extension = path.extname(entry.name).toLowerCase();
      if (UNSAFE_EXTENSIONS.has(extension)) {
        throw new EaselError(
          'model_unsafe',
          `The model folder ${root} contains ${path.relative(root, full)}, a ${extension} file that can run code when loaded. ` +
            'Easel only loads ONNX models; remove the file or use an ONNX export of the model.',
          { dir: root, file: path.relative(root, full) },
        );
      }
    }
  }
}

async function readJson(root: string, relative: string, required: true): Promise<Record<string, unknown>>;
async function readJson(root: string, relative: string, required: false): Promise<Record<string, unknown> | null>;
async function readJson(root: string, relative: string, required: boolean): Promise<Record<string, unknown> | null> {
  const file = path.join(root, relative);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    if (!required) return null;
    throw new EaselError('model_invalid', `The model folder ${root} has no ${relative.split(path.sep).join('/')}.`, {
      dir: root,
      file: relative,
    });
  }
  let parsed: unknown;
  try {
    // Configs written by Python may hold the bare tokens Infinity/NaN, which JSON.parse rejects.
    parsed = JSON.parse(text.replace(/(?<=[:,[]\s*)-?Infinity\b|(?<=[:,[]\s*)NaN\b/g, 'null'));
  } catch (error) {
    throw new EaselError('model_invalid', `The model file ${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EaselError('model_invalid', `The model file ${file} is not a JSON object.`, { file });
  }
  return parsed as Record<string, unknown>;
}

async function requireTokenizer(root: string, folder: string): Promise<void> {
  for (const file of ['vocab.json', 'merges.txt']) {
    if (!(await isFile(path.join(root, folder, file)))) {
      throw new EaselError('model_invalid', `The model folder ${root} has no ${folder}/${file}.`, { dir: root, part: folder });
    }
  }
}

async function isFile(file: string): Promise<boolean> {
  const stat = await fs.promises.stat(file).catch(() => null);
  return stat !== null && stat.isFile();
}

function stringField(object: Record<string, unknown> | null, key: string): string | null {
  const value = object?.[key];
  return typeof value === 'string' ? value : null;
}

function numberField(object: Record<string, unknown>, key: string): number | null {
  const value = object[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
