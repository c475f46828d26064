import type { GenerationParameters } from '../../../src-preload/api';
import { schedulerFromComfyUi } from './comfyui';
import { parseJsonObject } from './json-object';

/**
 * Reads Fooocus' own metadata scheme: a JSON object in the `parameters` chunk (with `fooocus_scheme` set to
 * "fooocus"), as Fooocus' `FooocusMetadataParser.parse_string` writes it — `prompt` and `negative_prompt` as
 * typed, `steps`, `resolution` as the text of a Python tuple "(1152, 896)", `guidance_scale`, `seed` as a
 * string, ComfyUI-style `sampler`/`scheduler` names, `base_model` as a file stem. Returns null when the text is
 * not such an object; fields Easel cannot use are left out.
 */
export function parseFooocusParameters(text: string): Partial<GenerationParameters> | null {
  const data = parseJsonObject(text);
  if (data === null) return null;
  if (typeof data.prompt !== 'string' && !Array.isArray(data.full_prompt)) return null;

  const result: Partial<GenerationParameters> = {};
  const prompt = typeof data.prompt === 'string' ? data.prompt : joinPrompts(data.full_prompt);
  if (prompt !== undefined) result.prompt = prompt;
  const negative = typeof data.negative_prompt === 'string' ? data.negative_prompt : joinPrompts(data.full_negative_prompt);
  if (negative !== undefined) result.negativePrompt = negative;

  const steps = Number(data.steps);
  if (Number.isInteger(steps) && steps > 0) result.steps = steps;
  const guidance = Number(data.guidance_scale);
  if (data.guidance_scale !== undefined && Number.isFinite(guidance)) result.guidance = guidance;
  const seed = typeof data.seed === 'number' ? String(data.seed) : data.seed;
  if (typeof seed === 'string' && /^\d{1,20}$/.test(seed)) result.seed = seed;

  const size = typeof data.resolution === 'string' ? /^\(\s*'?(\d+)'?\s*,\s*'?(\d+)'?\s*\)$/.exec(data.resolution) : null;
  if (size) {
    result.width = Number(size[1]);
    result.height = Number(size[2]);
  }
  if (typeof data.sampler === 'string') {
    const scheduler = schedulerFromComfyUi(data.sampler, typeof data.scheduler === 'string' ? data.scheduler : 'normal');
    if (scheduler) result.scheduler = scheduler;
  }
  if (typeof data.base_model === 'string' && data.base_model !== '') {
    result.modelName = data.base_model.replace(/\.(safetensors|ckpt)$/i, '');
  }
  return result;
}

/** Fooocus keeps the style-expanded prompts as a list; they are what the model saw. */
function joinPrompts(value: unknown): string | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value.join(', ') : undefined;
}
