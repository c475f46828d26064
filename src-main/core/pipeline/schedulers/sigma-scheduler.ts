import type { BetaDefaults, AlphasOptions } from './noise-schedule';
import {
  exponentialSigmas,
  indexForTimestep,
  interpolate,
  karrasSigmas,
  logSigmasOf,
  requireSteps,
  sigmaToTimestep,
  spacedTimesteps,
  trainAlphasCumprod,
  trainSigmas,
} from './noise-schedule';
import type { PredictionType, SchedulerConfig, TimestepSpacing } from './config';
import { checkBeginIndex, type NoiseSource, notReady, requireSameLength, type Scheduler, type SchedulerName } from './types';

const f32 = Math.fround;

/** How a k-diffusion style scheduler turns its config into a sigma schedule. */
export interface SigmaScheduleOptions {
  betaDefaults: BetaDefaults;
  zeroSnrTerminalFloor: boolean;
  /** Which of the config's noise-level options this diffusers class reads. */
  karras: boolean;
  exponential: boolean;
  configSigmaBounds: boolean;
  finalSigmasType: boolean;
}

/**
 * The shared half of LMS, Euler, Euler a and Heun (diffusers' *DiscreteScheduler classes): the
 * sample lives at noise level sigma (x = x0 + sigma * eps), the model sees x / sqrt(sigma^2 + 1),
 * and the step index advances once per step call.
 */
export abstract class SigmaScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  timesteps: number[] = [];
  numInferenceSteps = 0;
  /** One noise level per entry of `timesteps`, plus the final one (usually 0). */
  protected sigmas: number[] = [];
  protected stepIndex: number | null = null;
  protected beginIndex: number | null = null;
  protected readonly predictionType: PredictionType;
  private readonly numTrainTimesteps: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly trainSigmas: Float64Array;
  private readonly logSigmas: Float64Array;
  private readonly noiseLevels: 'interpolated' | 'karras' | 'exponential';
  private readonly sigmaMin: number | undefined;
  private readonly sigmaMax: number | undefined;
  private readonly finalSigma: number;

  protected constructor(config: SchedulerConfig, options: SigmaScheduleOptions) {
    const alphaOptions: AlphasOptions = { defaults: options.betaDefaults, zeroSnrTerminalFloor: options.zeroSnrTerminalFloor };
    this.numTrainTimesteps = config.numTrainTimesteps ?? 1000;
    this.trainSigmas = trainSigmas(trainAlphasCumprod(config, alphaOptions));
    this.logSigmas = logSigmasOf(this.trainSigmas);
    this.spacing = config.timestepSpacing ?? 'linspace';
    this.stepsOffset = config.stepsOffset ?? 0;
    this.predictionType = config.predictionType ?? 'epsilon';
    this.noiseLevels =
      options.karras && config.useKarrasSigmas === true
        ? 'karras'
        : options.exponential && config.useExponentialSigmas === true
          ? 'exponential'
          : 'interpolated';
    this.sigmaMin = options.configSigmaBounds ? config.sigmaMin : undefined;
    this.sigmaMax = options.configSigmaBounds ? config.sigmaMax : undefined;
    this.finalSigma =
      options.finalSigmasType && config.finalSigmasType === 'sigma_min' ? (this.trainSigmas[0] as number) : 0;
  }

  get initNoiseSigma(): number {
    const max = Math.max(...this.sigmas, 0);
    return this.spacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  /** The noise levels and timesteps of one run, before any per-scheduler rearrangement. */
  protected baseSchedule(numInferenceSteps: number): { timesteps: number[]; sigmas: number[] } {
    requireSteps(numInferenceSteps, this.numTrainTimesteps);
    this.numInferenceSteps = numInferenceSteps;
    let timesteps = spacedTimesteps(this.spacing, this.numTrainTimesteps, numInferenceSteps, this.stepsOffset, false);
    let sigmas = timesteps.map((t) => interpolate(this.trainSigmas, t));
    if (this.noiseLevels !== 'interpolated') {
      const low = this.sigmaMin ?? (sigmas[sigmas.length - 1] as number);
      const high = this.sigmaMax ?? (sigmas[0] as number);
      sigmas =
        this.noiseLevels === 'karras'
          ? karrasSigmas(low, high, numInferenceSteps)
          : exponentialSigmas(low, high, numInferenceSteps);
      timesteps = sigmas.map((s) => f32(sigmaToTimestep(s, this.logSigmas)));
    }
    sigmas.push(this.finalSigma);
    this.stepIndex = null;
    this.beginIndex = null;
    return { timesteps, sigmas: sigmas.map(f32) };
  }

  abstract setTimesteps(numInferenceSteps: number): void;

  protected currentIndex(t: number): number {
    if (this.sigmas.length === 0) throw notReady(this.name);
    this.stepIndex ??= this.beginIndex ?? indexForTimestep(this.timesteps, t, 'throw');
    return this.stepIndex;
  }

  scaleModelInput(sample: Float32Array, t: number): Float32Array {
    const sigma = this.sigmas[this.currentIndex(t)] as number;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = (sample[i] as number) * scale;
    return out;
  }

  abstract step(modelOutput: Float32Array, t: number, sample: Float32Array, noise: NoiseSource): Float32Array;

  /**
   * The model's x0 as a linear map of (sample, output) at noise level sigma: x0 = a * x + b * m.
   * v-prediction here is diffusers' k-diffusion form for samples scaled by sqrt(sigma^2 + 1).
   */
  protected x0Map(sigma: number): { fromSample: number; fromOutput: number } {
    if (this.predictionType === 'epsilon') return { fromSample: 1, fromOutput: -sigma };
    if (this.predictionType === 'sample') return { fromSample: 0, fromOutput: 1 };
    const s2 = sigma * sigma + 1;
    return { fromSample: 1 / s2, fromOutput: -sigma / Math.sqrt(s2) };
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    requireSameLength(original, noise, 'addNoise');
    if (this.sigmas.length === 0) throw notReady(this.name);
    const index = this.beginIndex === null ? indexForTimestep(this.timesteps, t, 'throw') : (this.stepIndex ?? this.beginIndex);
    const sigma = this.sigmas[index] as number;
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = (original[i] as number) + (noise[i] as number) * sigma;
    return out;
  }

  setBeginIndex(index: number): void {
    checkBeginIndex(this.name, this.timesteps, index);
    this.beginIndex = index;
    this.stepIndex = null;
  }
}
