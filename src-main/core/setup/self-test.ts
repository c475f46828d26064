/**
 * The self-test: one small model makes one image on every execution provider this machine might use. Each
 * result is compared with the CPU's (same prompt, same seed, so the same image up to rounding) and timed.
 * A provider that cannot load, fails, or draws something else is reported with the reason and recorded in
 * ProviderHealth, so it is never used without the person being told.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ProviderCheck, ProviderName, SelfTestReport } from '../../../src-preload/api';
import { EaselError } from '../errors';
import type { GeneratedImage } from '../generated-image';
import { type ModelFolder, readModelFolder } from '../models/model-folder';
import type { Pipeline } from '../pipeline/create';
import type { GenerationParams } from '../pipeline/types';
import { checkOutput, type ProviderHealth } from '../runtime/fallback';
import { providerLabels } from '../runtime/providers';
import { explainProviderFailure } from './explain';

/** What the self-test needs from the pipeline. */
export type SelfTestPipeline = Pick<Pipeline, 'generate'>;

export interface SelfTestOptions {
  /** A model folder in the diffusers ONNX layout; the built-in demo in the app. */
  modelDir: string;
  /** The providers to try; the CPU is added when missing, and always runs first as the reference. */
  providers: ProviderName[];
  /** Each request runs without fallback, on the provider it names, so a failure shows as a placeholder. */
  pipeline: SelfTestPipeline;
  /** Where mismatching providers are recorded; failures to load or run are recorded by the pipeline. */
  health?: ProviderHealth;
  clock?: { now(): number; date(): Date };
  /** Identifies this machine in the report. */
  machine: string;
  /** Denoising steps per image; few, since only the time per step and the picture's agreement matter. */
  steps?: number;
  /** Image side in pixels; the model folder's native size by default. */
  side?: number;
}

export const SELF_TEST_PROMPT = 'a red circle on a blue background';
export const SELF_TEST_SEED = '20240601';
const DEFAULT_STEPS = 4;
const GUIDANCE = 5;

/**
 * Images from different providers differ by rounding (float16 kernels, fused ops): a few levels of 255 on
 * average. A provider that computes something else lands tens of levels away.
 */
export const MAX_MEAN_DIFFERENCE = 12;

/** Mean absolute difference of two RGB images of the same size, in 0–255 levels. */
export function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) {
    throw new EaselError('internal', `Cannot compare images of ${a.length} and ${b.length} values.`);
  }
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return a.length === 0 ? 0 : sum / a.length;
}

/**
 * Rough multiply-adds of one UNet call on one latent, in billions, from the size of its weights: a
 * Stable Diffusion UNet does about (weights × latent pixels) / 10.4 (SD 1.5: 860 M weights, 64×64
 * latents, 339 G multiply-adds), and a small UNet of the same shape scales the same way.
 */
async function unetGmacs(folder: ModelFolder, size: { width: number; height: number }): Promise<number> {
  const { unet } = folder.parts;
  let bytes = 0;
  for (const file of [unet.file, ...unet.externalData]) bytes += (await fs.stat(path.join(folder.dir, file))).size;
  const weights = bytes / 4;
  const latentPixels = (size.width / 8) * (size.height / 8);
  return (weights * latentPixels) / 10.4 / 1e9;
}

function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Why a generation did not come from `provider`: the pipeline's note for it, or what happened instead. */
function failureOf(image: GeneratedImage, provider: ProviderName): string | null {
  const { metadata } = image;
  if (metadata.provider === provider && !metadata.placeholder) return null;
  const prefix = `${providerLabels[provider]} skipped: `;
  const note = metadata.notes.find((line) => line.startsWith(prefix));
  if (note !== undefined) return note.slice(prefix.length);
  return metadata.placeholder ? 'it drew no image' : `the image came from ${metadata.provider} instead`;
}

function failed(provider: ProviderName, technical: string): ProviderCheck {
  return {
    provider,
    ok: false,
    reason: explainProviderFailure(provider, technical),
    technicalReason: technical,
    firstImageSeconds: null,
    secondsPerImage: null,
    secondsPerStep: null,
    differenceFromCpu: null,
  };
}

/** The CPU first (the reference), then the others in the order given, each once. */
function testOrder(providers: ProviderName[]): ProviderName[] {
  return ['cpu', ...new Set(providers.filter((provider) => provider !== 'cpu'))];
}

/**
 * Runs the self-test. Every provider gets a warm-up image (which loads the model; its time is the
 * first-image time) and then a timed one. Never throws for a provider's sake: each outcome is a check.
 */
export async function selfTest(options: SelfTestOptions): Promise<SelfTestReport> {
  const clock = options.clock ?? { now: () => performance.now(), date: () => new Date() };
  // A broken model folder is not any provider's fault: its refusal is the self-test's answer.
  const folder = await readModelFolder(options.modelDir);
  const modelDir = folder.dir;
  const model = { id: modelDir, name: folder.name, folder };
  // The folder's native size: the UNet's fixed sample shape, else its config's sample_size × 8 (the demo's 64).
  const size = options.side === undefined ? folder.nativeSize : { width: options.side, height: options.side };
  const steps = options.steps ?? DEFAULT_STEPS;
  const params = (provider: ProviderName): GenerationParams => ({
    prompt: SELF_TEST_PROMPT,
    negativePrompt: '',
    steps,
    guidance: GUIDANCE,
    width: size.width,
    height: size.height,
    scheduler: 'euler',
    seed: SELF_TEST_SEED,
    count: 1,
    provider,
    preview: false,
    // The self-test checks the model's own decoder on each provider.
    decoder: 'full',
  });

  const checks: ProviderCheck[] = [];
  let reference: Uint8Array | null = null;
  let modelName = folder.name;
  for (const provider of testOrder(options.providers)) {
    let first: GeneratedImage;
    let timed: GeneratedImage;
    let firstSeconds: number;
    try {
      const started = clock.now();
      [first] = (await options.pipeline.generate(params(provider), model, { fallback: false })) as [GeneratedImage];
      firstSeconds = (clock.now() - started) / 1000;
      const failure = failureOf(first, provider);
      if (failure !== null) {
        checks.push(failed(provider, failure));
        continue;
      }
      [timed] = (await options.pipeline.generate(params(provider), model, { fallback: false })) as [GeneratedImage];
      const again = failureOf(timed, provider);
      if (again !== null) {
        checks.push(failed(provider, again));
        continue;
      }
    } catch (error) {
      // A broken model folder is not the provider's fault: every provider would meet it.
      if (error instanceof EaselError && (error.code === 'model_invalid' || error.code === 'model_unsafe')) throw error;
      checks.push(failed(provider, error instanceof Error ? error.message : String(error)));
      continue;
    }
    modelName = timed.metadata.modelName;

    const unusable = checkOutput(timed.rgb, { blankIsBad: true });
    let difference: number | null = null;
    let problem: string | null = unusable === null ? null : `it ${unusable}`;
    if (problem === null && provider === 'cpu') reference = timed.rgb;
    if (problem === null && provider !== 'cpu' && reference !== null) {
      difference = round(meanAbsoluteDifference(reference, timed.rgb), 2);
      if (difference > MAX_MEAN_DIFFERENCE) {
        problem = `its image differs from the CPU's by ${difference.toFixed(1)} levels of 255 on average (more than ${MAX_MEAN_DIFFERENCE}): it computes wrong results`;
      }
    }
    if (problem !== null) {
      await options.health?.markBad(modelDir, provider, problem);
      checks.push({ ...failed(provider, problem), differenceFromCpu: difference });
      continue;
    }
    const { timings } = timed.metadata;
    checks.push({
      provider,
      ok: true,
      reason: null,
      technicalReason: null,
      firstImageSeconds: round(firstSeconds),
      secondsPerImage: round((timings.textEncodeMs + timings.denoiseMs + timings.decodeMs) / 1000),
      secondsPerStep: round(timings.perStepMs / 1000, 6),
      differenceFromCpu: difference,
    });
  }

  return {
    ranAt: clock.date().toISOString(),
    machine: options.machine,
    model: {
      dir: modelDir,
      name: modelName,
      width: size.width,
      height: size.height,
      steps,
      guidance: GUIDANCE,
      unetGmacs: round(await unetGmacs(folder, size), 6),
    },
    skipped: null,
    checks,
  };
}
