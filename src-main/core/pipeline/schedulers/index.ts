import { EaselError } from '../../errors';
import { parseSchedulerConfig } from './config';
import { DdimScheduler } from './ddim';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep';
import { EulerScheduler } from './euler';
import { EulerAncestralScheduler } from './euler-ancestral';
import { HeunScheduler } from './heun';
import { LcmScheduler } from './lcm';
import { LmsScheduler } from './lms';
import { PndmScheduler } from './pndm';
import { schedulerNames } from '../../../../src-preload/api';
import type { Scheduler, SchedulerName } from './types';
import { UniPcScheduler } from './unipc';

export type { NoiseSource, Scheduler, SchedulerName } from './types';
export {
  parseSchedulerConfig,
  type BetaSchedule,
  type FinalSigmasType,
  type PredictionType,
  type SchedulerConfig,
  type TimestepSpacing,
} from './config';

export { schedulerNames };

/**
 * Builds a scheduler from a model's scheduler_config.json (the parsed JSON object, or the result of
 * parseSchedulerConfig). Any Stable Diffusion config works with any name: the shared keys (betas,
 * spacing, offset, prediction type) carry over and the rest take that scheduler's diffusers
 * defaults, as diffusers' from_config does.
 */
export function createScheduler(name: SchedulerName, config: unknown): Scheduler {
  const parsed = parseSchedulerConfig(config);
  switch (name) {
    case 'ddim':
      return new DdimScheduler(parsed);
    case 'pndm':
      return new PndmScheduler(parsed);
    case 'lms':
      return new LmsScheduler(parsed);
    case 'euler':
      return new EulerScheduler(parsed);
    case 'euler-a':
      return new EulerAncestralScheduler(parsed);
    case 'heun':
      return new HeunScheduler(parsed);
    case 'dpmpp-2m':
      return new DpmSolverMultistepScheduler(parsed, false);
    case 'dpmpp-2m-karras':
      return new DpmSolverMultistepScheduler(parsed, true);
    case 'unipc':
      return new UniPcScheduler(parsed);
    case 'lcm':
      return new LcmScheduler(parsed);
    default:
      throw new EaselError('invalid_request', `Unknown scheduler "${String(name)}".`, { name });
  }
}

/** Where an img2img run starts in a scheduler's schedule. */
export interface Img2ImgStart {
  /** Pass to setBeginIndex, then loop over timesteps.slice(beginIndex). */
  beginIndex: number;
  /** Noise the image latents to this timestep with addNoise. */
  timestep: number;
  /** Denoising steps actually run: int(numInferenceSteps * strength), as diffusers truncates it. */
  denoisingSteps: number;
}

/** diffusers' `scheduler.order`: model calls per step in the schedule (Heun repeats each timestep). */
function schedulerOrder(scheduler: Scheduler): number {
  return scheduler.name === 'heun' ? 2 : 1;
}

/**
 * With strength s in (0, 1], img2img runs the last int(n * s) of the n denoising steps, starting at
 * `timesteps[(n - int(n * s)) * order]` exactly as diffusers' img2img and inpaint pipelines' get_timesteps.
 * Call after setTimesteps(n).
 */
export function img2imgStart(scheduler: Scheduler, strength: number): Img2ImgStart {
  const steps = scheduler.numInferenceSteps;
  if (steps === 0) {
    throw new EaselError('internal', `The ${scheduler.name} scheduler needs setTimesteps before img2img can start.`);
  }
  if (!(strength > 0 && strength <= 1)) {
    throw new EaselError('invalid_request', `Strength must be above 0 and at most 1; got ${strength}.`, { strength });
  }
  const denoisingSteps = Math.min(Math.trunc(steps * strength), steps);
  if (denoisingSteps < 1) {
    throw new EaselError(
      'invalid_request',
      `Strength ${strength} with ${steps} steps leaves no step to run; raise the strength or the number of steps.`,
      { strength, steps },
    );
  }
  const beginIndex = (steps - denoisingSteps) * schedulerOrder(scheduler);
  return { beginIndex, timestep: scheduler.timesteps[beginIndex] as number, denoisingSteps };
}
