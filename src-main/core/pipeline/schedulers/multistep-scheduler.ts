import type { PredictionType, SchedulerConfig, TimestepSpacing } from './config';
import {
  commonBetaDefaults,
  exponentialSigmas,
  indexForTimestep,
  interpolate,
  karrasSigmas,
  logSigmasOf,
  multistepTimesteps,
  requireSteps,
  roundHalfEven,
  sigmaToTimestep,
  trainAlphasCumprod,
  trainSigmas,
} from './noise-schedule';
import { checkBeginIndex, type NoiseSource, notReady, requireSameLength, type Scheduler, type SchedulerName } from './types';

const f32 = Math.fround;

export interface MultistepOptions {
  /** DPM-Solver reads no sigma_min/sigma_max from the config; UniPC does. */
  configSigmaBounds: boolean;
  /** DPM-Solver ends a sigma_min schedule on the training minimum, UniPC on its last Karras sigma. */
  karrasFinalIsLastSigma: boolean;
  /** UniPC rounds Karras timesteps for every beta schedule; DPM-Solver not for squaredcos_cap_v2. */
  alwaysRoundKarras: boolean;
  /** Training timesteps below lambda_min_clipped are cut (DPM-Solver). */
  lastTimestep: (alphasCumprod: Float64Array) => number;
}

/**
 * The shared half of DPM-Solver multistep and UniPC: integer timesteps, the diffusion written as
 * x = alpha_t * x0 + sigma_t * eps with alpha_t = 1 / sqrt(sigma^2 + 1), and a history of the
 * model's converted outputs.
 */
export abstract class MultistepScheduler implements Scheduler {
  abstract readonly name: SchedulerName;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  numInferenceSteps = 0;
  protected sigmas: number[] = [];
  protected stepIndex: number | null = null;
  protected beginIndex: number | null = null;
  protected readonly predictionType: PredictionType;
  private readonly numTrainTimesteps: number;
  private readonly lastTimestep: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly trainSigmas: Float64Array;
  private readonly logSigmas: Float64Array;
  private readonly noiseLevels: 'interpolated' | 'karras' | 'exponential';
  private readonly roundKarrasTimesteps: boolean;
  private readonly sigmaMin: number | undefined;
  private readonly sigmaMax: number | undefined;
  private readonly finalSigmaMin: boolean;
  private readonly karrasFinalIsLastSigma: boolean;

  protected constructor(config: SchedulerConfig, options: MultistepOptions, forceKarras: boolean) {
    this.numTrainTimesteps = config.numTrainTimesteps ?? 1000;
    const alphasCumprod = trainAlphasCumprod(config, { defaults: commonBetaDefaults, zeroSnrTerminalFloor: true });
    this.trainSigmas = trainSigmas(alphasCumprod);
    this.logSigmas = logSigmasOf(this.trainSigmas);
    this.lastTimestep = options.lastTimestep(alphasCumprod);
    this.spacing = config.timestepSpacing ?? 'linspace';
    this.stepsOffset = config.stepsOffset ?? 0;
    this.predictionType = config.predictionType ?? 'epsilon';
    this.noiseLevels =
      forceKarras || config.useKarrasSigmas === true
        ? 'karras'
        : config.useExponentialSigmas === true
          ? 'exponential'
          : 'interpolated';
    this.roundKarrasTimesteps = options.alwaysRoundKarras || config.betaSchedule !== 'squaredcos_cap_v2';
    this.sigmaMin = options.configSigmaBounds ? config.sigmaMin : undefined;
    this.sigmaMax = options.configSigmaBounds ? config.sigmaMax : undefined;
    this.finalSigmaMin = config.finalSigmasType === 'sigma_min';
    this.karrasFinalIsLastSigma = options.karrasFinalIsLastSigma;
  }

  setTimesteps(numInferenceSteps: number): void {
    requireSteps(numInferenceSteps, this.numTrainTimesteps);
    let timesteps = multistepTimesteps(
      this.spacing,
      this.numTrainTimesteps,
      this.lastTimestep,
      numInferenceSteps,
      this.stepsOffset,
    );
    let sigmas: number[];
    let finalSigma = this.finalSigmaMin ? (this.trainSigmas[0] as number) : 0;
    if (this.noiseLevels === 'interpolated') {
      sigmas = timesteps.map((t) => interpolate(this.trainSigmas, t));
    } else {
      const low = this.sigmaMin ?? (this.trainSigmas[0] as number);
      const high = this.sigmaMax ?? (this.trainSigmas[this.trainSigmas.length - 1] as number);
      sigmas =
        this.noiseLevels === 'karras'
          ? karrasSigmas(low, high, numInferenceSteps)
          : exponentialSigmas(low, high, numInferenceSteps);
      // torch stores int64 timesteps: Karras ones are rounded first, the others truncated.
      const toInteger = this.noiseLevels === 'karras' && this.roundKarrasTimesteps ? roundHalfEven : Math.trunc;
      timesteps = sigmas.map((s) => toInteger(sigmaToTimestep(s, this.logSigmas)));
      if (this.finalSigmaMin && this.karrasFinalIsLastSigma) finalSigma = sigmas[sigmas.length - 1] as number;
    }
    sigmas.push(finalSigma);
    this.sigmas = sigmas.map(f32);
    this.timesteps = timesteps;
    this.numInferenceSteps = timesteps.length;
    this.stepIndex = null;
    this.beginIndex = null;
    this.resetHistory();
  }

  protected abstract resetHistory(): void;

  protected currentIndex(t: number): number {
    if (this.sigmas.length === 0) throw notReady(this.name);
    this.stepIndex ??= this.beginIndex ?? indexForTimestep(this.timesteps, t, 'last');
    return this.stepIndex;
  }

  /** alpha_t, sigma_t and lambda_t = log(alpha_t / sigma_t) at schedule entry `index`. */
  protected levelAt(index: number): { alpha: number; sigma: number; lambda: number } {
    const s = this.sigmas[index] as number;
    const alpha = 1 / Math.sqrt(s * s + 1);
    const sigma = s * alpha;
    return { alpha, sigma, lambda: Math.log(alpha) - Math.log(sigma) };
  }

  /** The model output as a data (x0) prediction at entry `index`, in a new array. */
  protected toDataPrediction(modelOutput: Float32Array, sample: Float32Array, index: number): Float32Array {
    const { alpha, sigma } = this.levelAt(index);
    let fromSample: number;
    let fromOutput: number;
    if (this.predictionType === 'epsilon') [fromSample, fromOutput] = [1 / alpha, -sigma / alpha];
    else if (this.predictionType === 'sample') [fromSample, fromOutput] = [0, 1];
    else [fromSample, fromOutput] = [alpha, -sigma];
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = fromSample * (sample[i] as number) + fromOutput * (modelOutput[i] as number);
    return out;
  }

  /** The model output as a noise (epsilon) prediction at entry `index`, in a new array. */
  protected toNoisePrediction(modelOutput: Float32Array, sample: Float32Array, index: number): Float32Array {
    const { alpha, sigma } = this.levelAt(index);
    let fromSample: number;
    let fromOutput: number;
    if (this.predictionType === 'epsilon') [fromSample, fromOutput] = [0, 1];
    else if (this.predictionType === 'sample') [fromSample, fromOutput] = [1 / sigma, -alpha / sigma];
    else [fromSample, fromOutput] = [sigma, alpha];
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = fromSample * (sample[i] as number) + fromOutput * (modelOutput[i] as number);
    return out;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  abstract step(modelOutput: Float32Array, t: number, sample: Float32Array, noise: NoiseSource): Float32Array;

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    requireSameLength(original, noise, 'addNoise');
    if (this.sigmas.length === 0) throw notReady(this.name);
    const index = this.beginIndex === null ? indexForTimestep(this.timesteps, t, 'last') : (this.stepIndex ?? this.beginIndex);
    const { alpha, sigma } = this.levelAt(index);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = alpha * (original[i] as number) + sigma * (noise[i] as number);
    return out;
  }

  setBeginIndex(index: number): void {
    checkBeginIndex(this.name, this.timesteps, index);
    this.beginIndex = index;
    this.stepIndex = null;
    this.resetHistory();
  }
}
