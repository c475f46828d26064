import { extractLoraTags, loraHashesValue, parseLoraHashes } from '../adapters/prompt-tags';
import {
  schedulerNames,
  type GenerationParameters,
  type ImageMetadata,
  type ImportedParameters,
  type MaskFill,
  type ParametersSource,
  type SchedulerName,
} from '../../../src-preload/api';
import { schedulerLabels } from '../../../src-shared/schedulers';
import { EaselError } from '../errors';
import { parseComfyUiPrompt } from './comfyui';
import { A1111_CHUNK, readEaselMetadata } from './easel-metadata';
import { parseFooocusParameters } from './fooocus';
import { parseInvokeAiMetadata } from './invokeai';

/**
 * AUTOMATIC1111's `parameters` text, the de-facto interchange format for Stable Diffusion images:
 *
 *   a prompt, possibly on several lines
 *   Negative prompt: another prompt
 *   Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1, Size: 512x512, Model: name
 *
 * Values containing a comma, colon or newline are written as JSON strings. Since v1.9 A1111 names the
 * noise schedule separately ("Schedule type: Karras"); older versions folded it into the sampler name
 * ("DPM++ 2M Karras").
 */

export type { ParametersSource };
export type ParsedImageParameters = ImportedParameters;

/**
 * Our schedulers as A1111 names them: the sampler, and the schedule type where it matters. The shared labels
 * are A1111's sampler names, except DPM++ 2M, which A1111 since v1.9 splits into sampler and schedule type.
 */
function a1111Sampler(name: SchedulerName): { sampler: string; scheduleType?: string } {
  if (name === 'dpmpp-2m') return { sampler: 'DPM++ 2M', scheduleType: 'Uniform' };
  if (name === 'dpmpp-2m-karras') return { sampler: 'DPM++ 2M', scheduleType: 'Karras' };
  return { sampler: schedulerLabels[name] };
}

/** A1111 from v1.9 on, where "DPM++ 2M" with an automatic schedule means Karras. */
function hasScheduleTypes(version: string | undefined): boolean {
  const match = version === undefined ? null : /(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const major = Number(match[1]);
  return major > 1 || (major === 1 && Number(match[2]) >= 9);
}

/** An A1111 sampler (+ schedule type, + version) as one of our schedulers; unknown ones stay undefined. */
export function schedulerFromA1111(
  sampler: string,
  scheduleType?: string,
  version?: string,
): SchedulerName | undefined {
  if (sampler === 'DPM++ 2M Karras') return 'dpmpp-2m-karras';
  if (sampler === 'DPM++ 2M') {
    if (scheduleType === undefined) return hasScheduleTypes(version) ? 'dpmpp-2m-karras' : 'dpmpp-2m';
    if (scheduleType === 'Karras' || scheduleType === 'Automatic') return 'dpmpp-2m-karras';
    return scheduleType === 'Uniform' ? 'dpmpp-2m' : undefined;
  }
  return schedulerNames.find((name) => a1111Sampler(name).sampler === sampler);
}

/** A1111 quotes a value as JSON when it holds a comma, a colon or a newline. */
function quote(value: string): string {
  return /[,:\n]/.test(value) ? JSON.stringify(value) : value;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

export function formatA1111Parameters(meta: ImageMetadata): string {
  const names = a1111Sampler(meta.scheduler);
  const fields: [string, string][] = [
    ['Steps', String(meta.steps)],
    ['Sampler', names.sampler],
  ];
  if (names.scheduleType) fields.push(['Schedule type', names.scheduleType]);
  fields.push(['CFG scale', String(meta.guidance)], ['Seed', meta.seed], ['Size', `${meta.width}x${meta.height}`]);
  if (meta.modelName) fields.push(['Model', quote(meta.modelName)]);
  const denoise = meta.strength ?? meta.hiresStrength;
  if (denoise !== undefined) fields.push(['Denoising strength', String(denoise)]);
  fields.push(...inpaintFields(meta));
  if (meta.hiresScale !== undefined) fields.push(['Hires upscale', String(meta.hiresScale)]);
  if (meta.hiresUpscaler !== undefined) fields.push(['Hires upscaler', quote(meta.hiresUpscaler)]);
  if (meta.loras !== undefined && meta.loras.length > 0) fields.push(['Lora hashes', quote(loraHashesValue(meta.loras))]);
  // A1111 names its tiny decoder TAESD and writes the field only when the full one was not used.
  if (meta.decoder === 'tiny') fields.push(['VAE Decoder', 'TAESD']);
  if (meta.app) fields.push(['Version', quote(meta.app)]);
  const lines = [meta.prompt];
  if (meta.negativePrompt) lines.push(`Negative prompt: ${meta.negativePrompt}`);
  lines.push(fields.map(([key, value]) => `${key}: ${value}`).join(', '));
  return lines.join('\n');
}

/** A1111's names for the masked area's starting content (its img2img "Masked content" choices). */
const MASKED_CONTENT: Record<MaskFill, string> = { original: 'original', noise: 'latent noise' };

/** The inpaint fields A1111 writes, spelled as it writes them; "Only masked" brings its padding along. */
function inpaintFields(meta: GenerationParameters): [string, string][] {
  const fields: [string, string][] = [];
  if (meta.maskBlur !== undefined) fields.push(['Mask blur', String(meta.maskBlur)]);
  if (meta.maskedContent !== undefined) fields.push(['Masked content', MASKED_CONTENT[meta.maskedContent]]);
  if (meta.inpaintArea === 'masked') {
    fields.push(['Inpaint area', 'Only masked']);
    if (meta.maskPadding !== undefined) fields.push(['Masked area padding', String(meta.maskPadding)]);
  }
  return fields;
}

function parseInpaintFields(params: Map<string, string>, result: Partial<GenerationParameters>): void {
  const blur = Number(params.get('Mask blur'));
  if (params.has('Mask blur') && Number.isInteger(blur) && blur >= 0 && blur <= 64) result.maskBlur = blur;
  const content = params.get('Masked content');
  for (const [fill, name] of Object.entries(MASKED_CONTENT)) if (content === name) result.maskedContent = fill as MaskFill;
  const area = params.get('Inpaint area');
  if (area === 'Only masked') result.inpaintArea = 'masked';
  if (area === 'Whole picture') result.inpaintArea = 'whole';
  const padding = Number(params.get('Masked area padding'));
  if (params.has('Masked area padding') && Number.isInteger(padding) && padding >= 0 && padding <= 512) result.maskPadding = padding;
}

/** One `Key: value` pair of the last line; a quoted value may contain commas and escaped quotes. */
const PARAM_PATTERN = /\s*(\w[\w \-/+]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

function paramsOf(line: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of line.matchAll(PARAM_PATTERN)) {
    const [, key, value] = match;
    if (key !== undefined && value !== undefined) params.set(key.trim(), unquote(value.trim()));
  }
  return params;
}

export function parseA1111Parameters(text: string): Partial<GenerationParameters> {
  const lines = text.trim().replace(/\r\n/g, '\n').split('\n');
  let params = new Map<string, string>();
  const last = lines[lines.length - 1] ?? '';
  // As A1111 does: the last line is the settings line only if it holds at least three `Key: value` pairs.
  if (lines.length > 0 && paramsOf(last).size >= 3) {
    params = paramsOf(last);
    lines.pop();
  }
  const prompt: string[] = [];
  const negative: string[] = [];
  let inNegative = false;
  for (const raw of lines) {
    let line = raw.trim();
    if (line.startsWith('Negative prompt:')) {
      inNegative = true;
      line = line.slice('Negative prompt:'.length).trim();
    }
    (inNegative ? negative : prompt).push(line);
  }

  const result: Partial<GenerationParameters> = { prompt: prompt.join('\n'), negativePrompt: negative.join('\n') };
  const steps = Number(params.get('Steps'));
  if (Number.isInteger(steps) && steps > 0) result.steps = steps;
  const sampler = params.get('Sampler');
  if (sampler !== undefined) {
    const scheduler = schedulerFromA1111(sampler, params.get('Schedule type'), params.get('Version'));
    if (scheduler) result.scheduler = scheduler;
  }
  const cfg = params.get('CFG scale');
  if (cfg !== undefined && cfg !== '' && Number.isFinite(Number(cfg))) result.guidance = Number(cfg);
  const seed = params.get('Seed');
  if (seed !== undefined && /^\d{1,20}$/.test(seed)) result.seed = seed;
  const size = /^(\d+)x(\d+)$/.exec(params.get('Size') ?? '');
  if (size) {
    result.width = Number(size[1]);
    result.height = Number(size[2]);
  }
  const model = params.get('Model');
  if (model) result.modelName = model;
  // With hires fix the denoising strength belongs to the second pass, not to an init image.
  const strength = Number(params.get('Denoising strength'));
  const hiresFix = params.has('Hires upscale') || params.has('Hires resize') || params.has('Hires steps');
  if (params.has('Denoising strength') && strength > 0 && strength <= 1) result[hiresFix ? 'hiresStrength' : 'strength'] = strength;
  const hiresScale = Number(params.get('Hires upscale'));
  if (params.has('Hires upscale') && hiresScale > 1 && hiresScale <= 4) result.hiresScale = hiresScale;
  const hiresUpscaler = params.get('Hires upscaler');
  if (hiresUpscaler !== undefined && hiresUpscaler !== '') result.hiresUpscaler = hiresUpscaler;
  parseInpaintFields(params, result);
  if (params.get('VAE Decoder') === 'TAESD') result.decoder = 'tiny';
  const loras = lorasOf(result.prompt ?? '', result.negativePrompt ?? '', params.get('Lora hashes'));
  if (loras.length > 0) result.loras = loras;
  return result;
}

/**
 * The LoRAs an A1111 prompt applied, each with the short hash `Lora hashes` gives it (empty when the list does not
 * name it), so Easel can find the installed file even under another name. A prompt whose tags do not parse keeps
 * them as text and names no LoRA.
 */
function lorasOf(prompt: string, negativePrompt: string, hashesValue: string | undefined): NonNullable<GenerationParameters['loras']> {
  const hashes = parseLoraHashes(hashesValue ?? '');
  try {
    const tags = [...extractLoraTags(prompt).tags, ...extractLoraTags(negativePrompt).tags];
    // A1111 writes each name with ':' and ',' taken out.
    return tags.map(({ name, scale }) => ({ name, scale, hash: hashes.get(name.replace(/[:,]/g, '')) ?? '' }));
  } catch {
    return [];
  }
}

function pickParameters(meta: ImageMetadata): Partial<GenerationParameters> {
  const { prompt, negativePrompt, modelId, modelName, scheduler, steps, guidance, seed, width, height, strength, decoder } = meta;
  const params: Partial<GenerationParameters> = {
    prompt,
    negativePrompt,
    modelId,
    modelName,
    scheduler,
    steps,
    guidance,
    seed,
    width,
    height,
  };
  if (strength !== undefined) params.strength = strength;
  for (const key of ['maskBlur', 'inpaintArea', 'maskPadding', 'maskedContent', 'outpaint', 'hiresScale', 'hiresUpscaler', 'hiresStrength'] as const) {
    if (meta[key] !== undefined) Object.assign(params, { [key]: meta[key] });
  }
  if (decoder !== undefined) params.decoder = decoder;
  if (meta.loras !== undefined && meta.loras.length > 0) params.loras = meta.loras;
  return params;
}

/**
 * The generation parameters embedded in a PNG's text chunks, from whichever tool wrote them: Easel's own
 * `easel` JSON first, then A1111's `parameters` text, ComfyUI's `prompt` graph, InvokeAI's
 * `invokeai_metadata`, Fooocus' JSON in `parameters`. Fields a source does not record, or records in a form Easel cannot use (a sampler
 * it does not have), are left out. Throws `not_found` when no known source is present.
 */
export function parseImageParameters(chunks: Record<string, string>): ParsedImageParameters {
  const easel = readEaselMetadata(chunks);
  if (easel) return { ...pickParameters(easel), source: 'easel' };
  const parameters = chunks[A1111_CHUNK];
  if (parameters !== undefined && parameters.trim() !== '') return readParametersChunk(parameters, chunks.fooocus_scheme);
  const comfy = chunks.prompt === undefined ? null : parseComfyUiPrompt(chunks.prompt);
  if (comfy) return { ...comfy, source: 'comfyui' };
  const invoke = chunks.invokeai_metadata === undefined ? null : parseInvokeAiMetadata(chunks.invokeai_metadata);
  if (invoke) return { ...invoke, source: 'invokeai' };
  throw new EaselError(
    'not_found',
    'This image carries no generation parameters Easel can read (it knows Easel, A1111, ComfyUI, InvokeAI and Fooocus metadata).',
    { keywords: Object.keys(chunks) },
  );
}

/**
 * The `parameters` chunk holds A1111's text, or Fooocus' JSON (its `fooocus_scheme` chunk says which; Fooocus'
 * "a1111" scheme is A1111's text). JSON is never read as A1111 text: a half-read prompt is worse than none.
 */
function readParametersChunk(text: string, fooocusScheme: string | undefined): ParsedImageParameters {
  if (fooocusScheme === 'fooocus' || text.trimStart().startsWith('{')) {
    const fooocus = parseFooocusParameters(text);
    if (fooocus) return { ...fooocus, source: 'fooocus' };
    throw new EaselError(
      'image_invalid',
      'This image holds its parameters as JSON that Easel does not recognise, so nothing was loaded from it.',
      { scheme: fooocusScheme ?? null },
    );
  }
  return { ...parseA1111Parameters(text), source: fooocusScheme === 'a1111' ? 'fooocus' : 'a1111' };
}
