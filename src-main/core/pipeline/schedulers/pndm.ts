import { addNoiseAtAlphaBar, alphaBarAt } from './alpha-math';
import { type PredictionType, type SchedulerConfig, type TimestepSpacing } from './config';
import { EaselError } from '../../errors';
import { commonBetaDefaults, requireSteps, spacedTimesteps, trainAlphasCumprod } from './noise-schedule';
import { checkBeginIndex, notReady, requireSameLength, type Scheduler } from './types';

/**
 * PNDM's pseudo linear multistep (PLMS) sampler with skip_prk_steps, after diffusers'
 * PNDMScheduler: the first step is taken twice (an Euler step, then a corrected one at the same
 * target), which is why the second timestep appears twice in `timesteps`.
 */
export class PndmScheduler implements Scheduler {
  readonly name = 'pndm' as const;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  numInferenceSteps = 0;
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private readonly numTrainTimesteps: number;
  private readonly spacing: TimestepSpacing;
  private readonly stepsOffset: number;
  private readonly predictionType: PredictionType;
  /** Model outputs of the last (up to four) steps, oldest first. */
  private ets: Float32Array[] = [];
  private counter = 0;
  private firstSample: Float32Array | null = null;

  constructor(config: SchedulerConfig) {
    this.numTrainTimesteps = config.numTrainTimesteps ?? 1000;
    this.alphasCumprod = trainAlphasCumprod(config, { defaults: commonBetaDefaults, zeroSnrTerminalFloor: false });
    this.finalAlphaCumprod = (config.setAlphaToOne ?? false) ? 1 : (this.alphasCumprod[0] as number);
    this.spacing = config.timestepSpacing ?? 'leading';
    this.stepsOffset = config.stepsOffset ?? 0;
    this.predictionType = config.predictionType ?? 'epsilon';
    if (this.predictionType === 'sample') {
      throw new EaselError(
        'model_invalid',
        'The model\'s scheduler config sets "prediction_type" to "sample", which the PNDM scheduler does not support. Pick another scheduler.',
        { key: 'prediction_type', value: 'sample' },
      );
    }
  }

  setTimesteps(numInferenceSteps: number): void {
    requireSteps(numInferenceSteps, this.numTrainTimesteps);
    this.numInferenceSteps = numInferenceSteps;
    const spaced = spacedTimesteps(this.spacing, this.numTrainTimesteps, numInferenceSteps, this.stepsOffset, true);
    this.timesteps = spaced.length > 1 ? [spaced[0] as number, spaced[1] as number, ...spaced.slice(1)] : spaced;
    this.ets = [];
    this.counter = 0;
    this.firstSample = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    if (this.numInferenceSteps === 0) throw notReady(this.name);
    requireSameLength(modelOutput, sample, 'step');
    const stride = Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
    let from = t;
    let to = t - stride;
    let x = sample;
    let combined: Float32Array;
    if (this.counter === 1) {
      // The correction of the first step: average the slopes at both ends, restart from the first sample.
      from = t + stride;
      to = t;
      x = this.firstSample ?? sample;
      this.firstSample = null;
      combined = linearCombination([modelOutput, this.ets[this.ets.length - 1] as Float32Array], [0.5, 0.5]);
    } else {
      this.ets.push(modelOutput);
      if (this.ets.length > 4) this.ets.shift();
      if (this.counter === 0) this.firstSample = sample;
      combined = adamsBashforth(this.ets);
    }
    this.counter += 1;
    return this.previousSample(x, from, to, combined);
  }

  private previousSample(sample: Float32Array, t: number, prevT: number, output: Float32Array): Float32Array {
    const alphaBar = alphaBarAt(this.alphasCumprod, t);
    const alphaBarPrev = prevT >= 0 ? alphaBarAt(this.alphasCumprod, prevT) : this.finalAlphaCumprod;
    const betaBar = 1 - alphaBar;
    const betaBarPrev = 1 - alphaBarPrev;
    // v-prediction is turned into epsilon: eps = sqrt(a) v + sqrt(1 - a) x.
    const v = this.predictionType === 'v_prediction';
    const epsFromOutput = v ? Math.sqrt(alphaBar) : 1;
    const epsFromSample = v ? Math.sqrt(betaBar) : 0;
    const sampleCoeff = Math.sqrt(alphaBarPrev / alphaBar);
    const denom = alphaBar * Math.sqrt(betaBarPrev) + Math.sqrt(alphaBar * betaBar * alphaBarPrev);
    const epsCoeff = (alphaBarPrev - alphaBar) / denom;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const x = sample[i] as number;
      const eps = epsFromOutput * (output[i] as number) + epsFromSample * x;
      out[i] = sampleCoeff * x - epsCoeff * eps;
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAtAlphaBar(original, noise, alphaBarAt(this.alphasCumprod, t));
  }

  /**
   * Starting part-way (img2img) begins afresh, warm-up step included, at whatever entry it is given: diffusers'
   * pipelines take `timesteps[t_start:]` of a freshly set PNDM schedule, so its first two calls there are the
   * Euler step and its correction even when the repeated entry was cut off.
   */
  setBeginIndex(index: number): void {
    checkBeginIndex(this.name, this.timesteps, index);
    this.ets = [];
    this.firstSample = null;
    this.counter = 0;
  }
}

/** Adams–Bashforth combinations of the stored outputs (newest last), order = how many there are. */
function adamsBashforth(ets: Float32Array[]): Float32Array {
  const n = ets.length;
  if (n === 1) return ets[0] as Float32Array;
  if (n === 2) return linearCombination(ets, [-1 / 2, 3 / 2]);
  if (n === 3) return linearCombination(ets, [5 / 12, -16 / 12, 23 / 12]);
  return linearCombination(ets, [-9 / 24, 37 / 24, -59 / 24, 55 / 24]);
}

function linearCombination(arrays: Float32Array[], weights: number[]): Float32Array {
  const out = new Float32Array((arrays[0] as Float32Array).length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < arrays.length; k++) sum += (weights[k] as number) * ((arrays[k] as Float32Array)[i] as number);
    out[i] = sum;
  }
  return out;
}
