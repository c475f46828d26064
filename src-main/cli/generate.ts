import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import {
  type DecoderChoice,
  type GenerateRequest,
  type GenerateRequestInput,
  type InpaintArea,
  type MaskFill,
  type Outpaint,
  type ProviderChoice,
  generateRequestSchema,
} from '../../src-preload/api';
import type { ErrorInfo } from '../../src-preload/api';
import type { LoraRequest } from '../core/adapters/model-adapters';
import { EaselError, toErrorInfo } from '../core/errors';
import { writeNewFileAtomic } from '../core/fs/atomic';
import { encodePngWithParameters } from '../core/gallery/png-encode';
import type { ModelsService } from '../core/models/models-service';
import { createPipeline, type Pipeline } from '../core/pipeline/create';
import { generateImages } from '../core/pipeline/hires';
import { generationParams } from '../core/pipeline/params';
import { ProviderHealth } from '../core/runtime/fallback';
import { optimizedModelDir, pruneOptimizedModels } from '../core/runtime/optimized-models';
import { hiresUpscaler } from '../core/upscale/hires-upscaler';
import { chooseModel, type ModelDefaults } from './model-choice';
import { stepProgress, type ProgressStream } from './step-progress';

export interface GenerateCommandIo {
  stdout: { write(text: string): unknown };
  /** Messages and the progress line, redrawn in place when it is a terminal. */
  stderr: ProgressStream;
  /** Where `--model ID` is looked up (built-in, downloaded and imported models); without it only folders work. */
  models?: ModelsService;
  /** Easel's data folder, where provider health is kept. */
  dataDir: string;
  /** A pipeline to reuse (tests, or a host that already has one); otherwise one is built for this run. */
  pipeline?: Pipeline;
  /** Where hires fix finds the built-in upscalers (models folder, built-in models); without them it uses Lanczos. */
  upscalerDirs?: readonly string[];
  /** The app's LoRA and embedding folders, used unless --lora-dir / --embedding-dir name others. */
  loraDir?: string;
  embeddingDir?: string;
}

export const generateUsage = `Usage: easel generate --model ID|DIR --prompt TEXT --out DIR [options]

  --model ID|DIR       a model id from \`easel models list\` (easel-demo, sd-turbo, an imported one) or an
                       ONNX Stable Diffusion model folder (diffusers/optimum layout)
  --prompt TEXT        what to draw; (word:1.2) weights and BREAK work as in A1111
  --negative TEXT      what to keep out of the image
  --steps N            denoising steps (default: the model's; 20 for a folder Easel does not know)
  --guidance G         classifier-free guidance scale (default: the model's; 7.5 for an unknown folder)
  --size WxH           image size in pixels, multiples of 8 (default: the model's native size; with
                       --init-image, the image's own size rounded down to multiples of 8)
  --scheduler NAME     ddim, pndm, lms, euler, euler-a, heun, dpmpp-2m, dpmpp-2m-karras, unipc, lcm (default:
                       the model's; euler-a for an unknown folder); a model lists those that work with it
  --seed N             0 to 18446744073709551615; -1 or none for random (as in A1111)
  --count N            images to make; image k uses seed + k (default 1)
  --provider NAME      auto, cuda, dml, coreml, webgpu or cpu (default auto)
  --decoder NAME       auto, full or tiny: tiny is the fast TAESD-style decoder, when the model
                       has one (vae_decoder_tiny/); auto uses it on CPU-only runs (default auto)
  --init-image FILE    start from this PNG or JPEG (img2img)
  --strength S         how far from the init image to move, 0-1 (default 0.75; 1 with --mask or --outpaint)
  --mask FILE          inpaint: repaint where this PNG or JPEG is white, keep where black (any size of
                       the image's aspect ratio)
  --mask-blur PX       blur of the mask where the result is pasted over the image (default 4)
  --inpaint-area A     whole (the whole picture) or masked (a crop around the mask at the model's native
                       size, pasted back; default whole)
  --mask-padding PX    context around the mask for --inpaint-area masked (default 32)
  --fill F             what the repainted area starts from below strength 1: original or noise (default original)
  --outpaint L,T,R,B   extend the picture by these pixels left, top, right, bottom (multiples of 8); the
                       result is the image size plus them
  --hires SCALE        hires fix: make the image at --size, enlarge it SCALE times (more than 1, at most 4;
                       the built-in upscaler, Lanczos where it is missing) and redraw it there by img2img
  --hires-strength S   how far the hires redraw may move from the enlarged image, 0-1 (default 0.5)
  --out DIR            where to write the PNGs (created if missing)
  --lora FILE[:SCALE]  apply this LoRA (.safetensors) with this weight (default 1); repeatable
  --lora-dir DIR       where <lora:NAME:SCALE> in the prompts finds NAME.safetensors (default: the app's folder)
  --embedding-dir DIR  where embeddings named in the prompts are found (default: the app's folder)

Progress goes to stderr, a line per step with the time left; the PNGs' paths and timings to stdout.
`;

/** `easel generate …`: runs the pipeline and writes PNGs with their parameters embedded. Returns the exit code. */
export async function runGenerateCommand(args: string[], io: GenerateCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseGenerateArgs>;
  try {
    parsed = parseGenerateArgs(args);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${generateUsage}`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(generateUsage);
    return 0;
  }
  let ownPipeline: Pipeline | null = null;
  let progress: ReturnType<typeof stepProgress> | null = null;
  try {
    const requestFor = await readRequest(parsed);
    // What was typed is checked before the model is looked up, so a mistyped flag is named first.
    requestFor(parsed.model, STAND_IN_DEFAULTS);
    const { model, defaults } = await chooseModel(parsed.model, io.models);
    const request = requestFor(model.id, defaults);
    const params = generationParams(request);
    await makeOutputFolder(parsed.out);
    if (io.pipeline === undefined) {
      // A kept graph is a saving, never a condition: one that cannot be cleaned up is left for the next start.
      await pruneOptimizedModels(optimizedModelDir(io.dataDir)).catch(() => undefined);
    }
    const pipeline =
      io.pipeline ?? (ownPipeline = await createPipeline({
          health: await ProviderHealth.open(path.join(io.dataDir, 'provider-health.json')),
          optimizedModelDir: optimizedModelDir(io.dataDir),
        }));
    progress = stepProgress(io.stderr, params.count);
    const loraDir = parsed.loraDir ?? io.loraDir;
    const embeddingDir = parsed.embeddingDir ?? io.embeddingDir;
    const adapters = {
      loras: parsed.loras,
      ...(loraDir === undefined ? {} : { loraDir }),
      ...(embeddingDir === undefined ? {} : { embeddingDir }),
    };
    const upscalerDirs = io.upscalerDirs ?? [];
    const images = await generateImages(pipeline, params, model, { adapters, onProgress: progress.onProgress }, hiresUpscaler(async () => upscalerDirs));
    progress.end();
    for (const image of images) {
      const { metadata } = image;
      const png = await encodePngWithParameters(image, metadata);
      const file = await writeNewFileAtomic(
        parsed.out,
        (attempt) => `easel-${metadata.seed}${attempt === 0 ? '' : `-${attempt}`}.png`,
        png,
      );
      const { timings } = metadata;
      io.stdout.write(
        `${file}\n  provider ${metadata.provider}${metadata.placeholder ? ' (PLACEHOLDER: no model ran)' : ''}, seed ${metadata.seed}, ` +
          `${image.width}x${image.height}, total ${ms(timings.totalMs)} (text ${ms(timings.textEncodeMs)}, ` +
          `denoise ${ms(timings.denoiseMs)} = ${ms(timings.perStepMs)}/step, decode ${ms(timings.decodeMs)})\n`,
      );
      for (const lora of metadata.loras ?? []) io.stdout.write(`  LoRA ${lora.name} at ${lora.scale} (${lora.hash})\n`);
      for (const note of metadata.notes) io.stdout.write(`  note: ${note}\n`);
    }
    return images.some((image) => image.metadata.placeholder) ? 3 : 0;
  } catch (error) {
    progress?.end();
    const info = toErrorInfo(error);
    io.stderr.write(`easel generate: ${withFlag(info)} [${info.code}]\n`);
    return info.code === 'invalid_request' ? 2 : 1;
  } finally {
    await ownPipeline?.dispose();
  }
}

interface GenerateArgs {
  model: string;
  prompt: string;
  negative: string | undefined;
  steps: string | undefined;
  guidance: string | undefined;
  size: string | undefined;
  scheduler: string | undefined;
  seed: string | undefined;
  count: string | undefined;
  provider: string | undefined;
  decoder: string | undefined;
  initImage: string | undefined;
  strength: string | undefined;
  mask: string | undefined;
  maskBlur: string | undefined;
  inpaintArea: string | undefined;
  maskPadding: string | undefined;
  fill: string | undefined;
  outpaint: string | undefined;
  hires: string | undefined;
  hiresStrength: string | undefined;
  out: string;
  loras: LoraRequest[];
  loraDir: string | undefined;
  embeddingDir: string | undefined;
}

/** Flags that need --init-image, by the field of the request they fill. */
const EDIT_FLAGS = ['mask', 'mask-blur', 'inpaint-area', 'mask-padding', 'fill', 'outpaint'] as const;

const GENERATE_OPTIONS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  negative: { type: 'string' },
  steps: { type: 'string' },
  guidance: { type: 'string' },
  size: { type: 'string' },
  scheduler: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  provider: { type: 'string' },
  decoder: { type: 'string' },
  'init-image': { type: 'string' },
  strength: { type: 'string' },
  mask: { type: 'string' },
  'mask-blur': { type: 'string' },
  'inpaint-area': { type: 'string' },
  'mask-padding': { type: 'string' },
  fill: { type: 'string' },
  outpaint: { type: 'string' },
  hires: { type: 'string' },
  'hires-strength': { type: 'string' },
  out: { type: 'string' },
  lora: { type: 'string', multiple: true },
  'lora-dir': { type: 'string' },
  'embedding-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * node:util's parseArgs reads `--seed -1` as a missing value followed by an unknown flag; a value
 * that looks like a negative number (`-1`, `-64x64`) belongs to the flag before it, so it is joined
 * as `--seed=-1` and reaches the checks that name the flag.
 */
function joinNegativeValues(args: string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const next = args[index + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const takesValue = name in GENERATE_OPTIONS && GENERATE_OPTIONS[name as keyof typeof GENERATE_OPTIONS].type === 'string';
    if (takesValue && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else joined.push(arg);
  }
  return joined;
}

function parseGenerateArgs(args: string[]): GenerateArgs | 'help' {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(args),
    strict: true,
    allowPositionals: true,
    options: GENERATE_OPTIONS,
  });
  if (values.help === true) return 'help';
  if (positionals.length > 0) throw new Error(`Unexpected argument "${positionals[0]}".`);
  for (const required of ['model', 'prompt', 'out'] as const) {
    if (values[required] === undefined) throw new Error(`--${required} is required.`);
  }
  for (const flag of ['strength', ...EDIT_FLAGS] as const) {
    if (values[flag] !== undefined && values['init-image'] === undefined) throw new Error(`--${flag} only applies with --init-image.`);
  }
  if (values['hires-strength'] !== undefined && values.hires === undefined) throw new Error('--hires-strength only applies with --hires.');
  return {
    model: values.model!,
    prompt: values.prompt!,
    negative: values.negative,
    steps: values.steps,
    guidance: values.guidance,
    size: values.size,
    scheduler: values.scheduler,
    seed: values.seed,
    count: values.count,
    provider: values.provider,
    decoder: values.decoder,
    initImage: values['init-image'],
    strength: values.strength,
    mask: values.mask,
    maskBlur: values['mask-blur'],
    inpaintArea: values['inpaint-area'],
    maskPadding: values['mask-padding'],
    fill: values.fill,
    outpaint: values.outpaint,
    hires: values.hires,
    hiresStrength: values['hires-strength'],
    out: path.resolve(values.out!),
    loras: (values.lora ?? []).map(parseLoraFlag),
    loraDir: values['lora-dir'] === undefined ? undefined : path.resolve(values['lora-dir']),
    embeddingDir: values['embedding-dir'] === undefined ? undefined : path.resolve(values['embedding-dir']),
  };
}

/** `FILE[:SCALE]`; the scale is what follows the last colon when it is a number (so C:\x works). */
function parseLoraFlag(value: string): LoraRequest {
  const colon = value.lastIndexOf(':');
  const tail = colon > 0 ? value.slice(colon + 1) : '';
  const scale = tail.trim() === '' ? Number.NaN : Number(tail);
  if (colon > 0 && Number.isFinite(scale)) return { file: path.resolve(value.slice(0, colon)), scale };
  return { file: path.resolve(value), scale: 1 };
}

/** Stand-ins for what the flags leave out, to check what was typed before the model (and its defaults) is known. */
const STAND_IN_DEFAULTS: ModelDefaults = { scheduler: 'euler-a', steps: 20, guidance: 7.5, width: 512, height: 512 };

/**
 * Reads the flags (and the files they name) and returns what turns them into the contract's request, validated
 * with the same schema the hosts use, the model's defaults filling what the flags leave out.
 */
async function readRequest(args: GenerateArgs): Promise<(modelId: string, defaults: ModelDefaults) => GenerateRequest> {
  const init = args.initImage === undefined ? null : await readInitImage(args.initImage);
  const outpaint = args.outpaint === undefined ? null : parseOutpaint(args.outpaint);
  const size = args.size === undefined ? null : parseSize(args.size);
  const steps = args.steps === undefined ? null : parseNumber(args.steps, 'steps');
  const guidance = args.guidance === undefined ? null : parseNumber(args.guidance, 'guidance');
  const count = parseNumber(args.count ?? '1', 'count');
  const mask = args.mask === undefined ? null : (await readFlagFile(args.mask, 'mask')).toString('base64');
  const hires =
    args.hires === undefined
      ? undefined
      : { scale: parseNumber(args.hires, 'hires'), strength: parseNumber(args.hiresStrength ?? '0.5', 'hires-strength') };
  const initImage: GenerateRequestInput['initImage'] =
    init === null
      ? undefined
      : {
          data: init.data.toString('base64'),
          strength: parseNumber(args.strength ?? (args.mask !== undefined || outpaint !== null ? '1' : '0.75'), 'strength'),
          ...(mask === null ? {} : { mask }),
          ...(outpaint === null ? {} : { outpaint }),
          ...(args.maskBlur === undefined ? {} : { maskBlur: parseNumber(args.maskBlur, 'mask-blur') }),
          ...(args.inpaintArea === undefined ? {} : { inpaintArea: args.inpaintArea as InpaintArea }),
          ...(args.maskPadding === undefined ? {} : { maskPadding: parseNumber(args.maskPadding, 'mask-padding') }),
          ...(args.fill === undefined ? {} : { fill: args.fill as MaskFill }),
        };
  return (modelId, defaults) => {
    let [width, height] = size ?? init?.size ?? [defaults.width, defaults.height];
    if (outpaint !== null) {
      width += outpaint.left + outpaint.right;
      height += outpaint.top + outpaint.bottom;
    }
    return validRequest({
      modelId,
      prompt: args.prompt,
      negativePrompt: args.negative ?? '',
      steps: steps ?? defaults.steps,
      guidance: guidance ?? defaults.guidance,
      width,
      height,
      scheduler: (args.scheduler ?? defaults.scheduler) as GenerateRequestInput['scheduler'],
      // No --seed, or -1 as in A1111: the core draws one, as it does for the app.
      ...(args.seed === undefined || args.seed === '-1' ? {} : { seed: args.seed }),
      count,
      provider: (args.provider ?? 'auto') as ProviderChoice,
      decoder: (args.decoder ?? 'auto') as DecoderChoice,
      preview: false,
      ...(initImage === undefined ? {} : { initImage }),
      ...(hires === undefined ? {} : { hires }),
    });
  };
}

function validRequest(input: GenerateRequestInput): GenerateRequest {
  const parsed = generateRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = flagFor(issue.path.map(String));
    throw new EaselError('invalid_request', `--${field}: ${issue.message}`, { field });
  }
  return parsed.data;
}

/** A request error from the pipeline (field "initImage.mask") names the flag it came from, as the CLI's own do. */
function withFlag(info: ErrorInfo): string {
  const field = (info.detail as { field?: unknown } | undefined)?.field;
  if (info.code !== 'invalid_request' || typeof field !== 'string' || info.message.startsWith('--')) return info.message;
  return `--${flagFor(field.split('.'))}: ${info.message}`;
}

/** The command-line flag a schema field comes from, so the message names what the user typed. */
function flagFor(fieldPath: string[]): string {
  const [head, tail] = fieldPath;
  if (head === 'initImage') {
    const editFlags: Record<string, string> = {
      strength: 'strength',
      mask: 'mask',
      maskBlur: 'mask-blur',
      inpaintArea: 'inpaint-area',
      maskPadding: 'mask-padding',
      fill: 'fill',
      outpaint: 'outpaint',
    };
    return editFlags[tail ?? ''] ?? 'init-image';
  }
  if (head === 'hires') return tail === 'strength' ? 'hires-strength' : 'hires';
  const flags: Record<string, string> = {
    modelId: 'model',
    negativePrompt: 'negative',
    width: 'size',
    height: 'size',
  };
  return flags[head ?? ''] ?? head ?? 'arguments';
}

async function readFlagFile(file: string, flag: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new EaselError('invalid_request', `--${flag}: cannot read ${file} (${(error as Error).message}).`, { field: flag });
  }
}

/** The init image's bytes and its size rounded down to multiples of 8, the size used when --size is absent. */
async function readInitImage(file: string): Promise<{ data: Buffer; size: [number, number] }> {
  const data = await readFlagFile(file, 'init-image');
  let meta: { width?: number | undefined; height?: number | undefined };
  try {
    meta = await sharp(data).metadata();
  } catch (error) {
    throw new EaselError('invalid_request', `--init-image: ${file} is not a PNG or JPEG (${(error as Error).message}).`, {
      field: 'init-image',
    });
  }
  const round = (side: number | undefined) => Math.floor((side ?? 0) / 8) * 8;
  return { data, size: [round(meta.width), round(meta.height)] };
}

function parseOutpaint(text: string): Outpaint {
  const parts = text.split(',').map((part) => part.trim());
  const values = parts.map(Number);
  if (parts.length !== 4 || parts.some((part) => part === '') || values.some((value) => !Number.isInteger(value) || value < 0)) {
    throw new EaselError('invalid_request', `--outpaint: "${text}" is not LEFT,TOP,RIGHT,BOTTOM in pixels, e.g. 0,0,128,0.`, {
      field: 'outpaint',
    });
  }
  const [left, top, right, bottom] = values as [number, number, number, number];
  return { left, top, right, bottom };
}

function parseSize(text: string): [number, number] {
  const match = /^(\d+)x(\d+)$/i.exec(text.trim());
  if (match === null) {
    throw new EaselError('invalid_request', `--size: "${text}" is not WIDTHxHEIGHT in whole positive pixels, e.g. 512x512.`, {
      field: 'size',
    });
  }
  return [Number(match[1]), Number(match[2])];
}

function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new EaselError('invalid_request', `--${flag}: "${text}" is not a number.`, { field: flag });
  }
  return value;
}

/** The folder for the images: made when missing, refused with a clear message when a file has that name. */
async function makeOutputFolder(folder: string): Promise<void> {
  const existing = await fs.stat(folder).catch(() => null);
  if (existing && !existing.isDirectory()) {
    throw new EaselError('invalid_request', `--out: ${folder} is a file, not a folder. Give a folder for the images.`, {
      field: 'out',
    });
  }
  await fs.mkdir(folder, { recursive: true });
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}
