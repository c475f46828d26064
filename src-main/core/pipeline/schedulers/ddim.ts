import { addNoiseAtAlphaBar, alphaBarAt, predictionMaps } from './alpha-math';
import { type PredictionType, rejectUnsupported, type SchedulerConfig, type TimestepSpacing } from './config';
import { commonBetaDefaults, requireSteps, spacedTimesteps, trainAlphasCumprod } from './noise-schedule';
import { checkBeginIndex, notReady, requireSameLength, type Scheduler } from './types';

/** DDIM (Song et al. 2020) with eta = 0, after diffusers' DDIMScheduler. */
export class DdimScheduler implements Scheduler {
  readonly name = 'ddim' as const;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  numInferenceSteps = 0;
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private readonly numTrainTimesteps: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: PredictionType;
  private readonly clipRange: number | null;

  constructor(config: SchedulerConfig) {
    rejectUnsupported('DDIM', config, ['thresholding']);
    this.numTrainTimesteps = config.numTrainTimesteps ?? 1000;
    this.alphasCumprod = trainAlphasCumprod(config, { defaults: commonBetaDefaults, zeroSnrTerminalFloor: false });
    this.finalAlphaCumprod = (config.setAlphaToOne ?? true) ? 1 : (this.alphasCumprod[0] as number);
    this.spacing = config.timestepSpacing ?? 'leading';
    this.stepsOffset = config.stepsOffset ?? 0;
    this.predictionType = config.predictionType ?? 'epsilon';
    this.clipRange = (config.clipSample ?? true) ? (config.clipSampleRange ?? 1) : null;
  }

  setTimesteps(numInferenceSteps: number): void {
    requireSteps(numInferenceSteps, this.numTrainTimesteps);
    this.numInferenceSteps = numInferenceSteps;
    this.timesteps = spacedTimesteps(this.spacing, this.numTrainTimesteps, numInferenceSteps, this.stepsOffset, true);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    if (this.numInferenceSteps === 0) throw notReady(this.name);
    requireSameLength(modelOutput, sample, 'step');
    const prevT = t - Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
    const alphaBar = alphaBarAt(this.alphasCumprod, t);
    const alphaBarPrev = prevT >= 0 ? alphaBarAt(this.alphasCumprod, prevT) : this.finalAlphaCumprod;
    const maps = predictionMaps(this.predictionType, alphaBar);
    const x0Scale = Math.sqrt(alphaBarPrev);
    const epsScale = Math.sqrt(1 - alphaBarPrev);
    const clip = this.clipRange;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const x = sample[i] as number;
      const m = modelOutput[i] as number;
      let x0 = maps.x0FromSample * x + maps.x0FromOutput * m;
      if (clip !== null) x0 = Math.min(Math.max(x0, -clip), clip);
      out[i] = x0Scale * x0 + epsScale * (maps.epsFromSample * x + maps.epsFromOutput * m);
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAtAlphaBar(original, noise, alphaBarAt(this.alphasCumprod, t));
  }

  /** DDIM's step depends only on t, so starting part-way needs no state. */
  setBeginIndex(index: number): void {
    checkBeginIndex(this.name, this.timesteps, index);
  }
}
