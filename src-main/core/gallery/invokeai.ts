import type { GenerationParameters, SchedulerName } from '../../../src-preload/api';
import { parseJsonObject } from './json-object';

/**
 * Reads generation parameters from InvokeAI's `invokeai_metadata` PNG chunk (InvokeAI 3 and later):
 * flat JSON with positive_prompt, negative_prompt, seed, steps, cfg_scale, width, height, scheduler and
 * a model object ({ name } from 4.x, { model_name } in 3.x).
 */

const INVOKEAI_SCHEDULERS: Record<string, SchedulerName> = {
  ddim: 'ddim',
  pndm: 'pndm',
  lms: 'lms',
  euler: 'euler',
  euler_a: 'euler-a',
  heun: 'heun',
  dpmpp_2m: 'dpmpp-2m',
  dpmpp_2m_k: 'dpmpp-2m-karras',
  unipc: 'unipc',
  lcm: 'lcm',
};

export function schedulerFromInvokeAi(name: string): SchedulerName | undefined {
  return Object.hasOwn(INVOKEAI_SCHEDULERS, name) ? INVOKEAI_SCHEDULERS[name] : undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The parameters in an `invokeai_metadata` chunk, or null if it is not JSON with a prompt. */
export function parseInvokeAiMetadata(text: string): Partial<GenerationParameters> | null {
  const data = parseJsonObject(text);
  if (data === null) return null;
  if (typeof data.positive_prompt !== 'string') return null;

  const result: Partial<GenerationParameters> = { prompt: data.positive_prompt };
  if (typeof data.negative_prompt === 'string') result.negativePrompt = data.negative_prompt;
  if (typeof data.seed === 'number' && Number.isSafeInteger(data.seed) && data.seed >= 0) result.seed = String(data.seed);
  const steps = positiveInteger(data.steps);
  if (steps !== undefined) result.steps = steps;
  const guidance = finite(data.cfg_scale);
  if (guidance !== undefined) result.guidance = guidance;
  const width = positiveInteger(data.width);
  const height = positiveInteger(data.height);
  if (width !== undefined && height !== undefined) {
    result.width = width;
    result.height = height;
  }
  if (typeof data.scheduler === 'string') {
    const scheduler = schedulerFromInvokeAi(data.scheduler);
    if (scheduler) result.scheduler = scheduler;
  }
  const strength = finite(data.strength);
  if (typeof data.generation_mode === 'string' && data.generation_mode.includes('img2img') && strength !== undefined) {
    result.strength = strength;
  }
  if (typeof data.model === 'object' && data.model !== null) {
    const model = data.model as Record<string, unknown>;
    const name = model.name ?? model.model_name;
    if (typeof name === 'string') result.modelName = name;
  }
  return result;
}
