import type { SchedulerName } from '../../../../src-preload/api';
import { EaselError } from '../../errors';

/** The names are the contract's: the UI, the CLI and the gallery all use them. */
export type { SchedulerName };

/** Standard normal noise for the stochastic schedulers (Euler a, LCM), drawn in call order. */
export interface NoiseSource {
  randn(length: number): Float32Array;
}

/**
 * One sampler, used as: setTimesteps(n); [setBeginIndex(i) for img2img]; then for each t of
 * `timesteps`: scaled = scaleModelInput(sample, t); output = model(scaled, t);
 * sample = step(output, t, sample, noise). The first sample is noise * initNoiseSigma (txt2img) or
 * addNoise(image latents, noise, timesteps[begin]) (img2img). Schedulers keep state between steps,
 * so one instance serves one generation at a time.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  setTimesteps(numInferenceSteps: number): void;
  /** One model call per entry; Heun and PNDM repeat some timesteps. */
  readonly timesteps: number[];
  /** The number of inference steps last passed to setTimesteps (0 before). */
  readonly numInferenceSteps: number;
  readonly initNoiseSigma: number;
  /** May return `sample` itself when the scheduler does not scale its input. */
  scaleModelInput(sample: Float32Array, t: number): Float32Array;
  /** Returns the next sample in a new array; never changes its arguments. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise: NoiseSource): Float32Array;
  /** Forward diffusion to timestep t (img2img): a new array. */
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;
  /** Starts the next run at `timesteps[index]`; call right after setTimesteps. */
  setBeginIndex(index: number): void;
}

export function requireSameLength(a: Float32Array, b: Float32Array, what: string): void {
  if (a.length !== b.length) {
    throw new EaselError('internal', `Scheduler ${what}: arrays differ in length (${a.length} vs ${b.length}).`);
  }
}

export function notReady(name: SchedulerName): EaselError {
  return new EaselError('internal', `The ${name} scheduler was stepped before setTimesteps was called.`);
}

export function checkBeginIndex(name: SchedulerName, timesteps: readonly number[], index: number): void {
  if (timesteps.length === 0) throw notReady(name);
  if (!Number.isInteger(index) || index < 0 || index >= timesteps.length) {
    throw new EaselError(
      'invalid_request',
      `The ${name} scheduler cannot start at step ${index}: its schedule has ${timesteps.length} entries.`,
      { index },
    );
  }
}
