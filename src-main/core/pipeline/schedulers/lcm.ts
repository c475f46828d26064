import { addNoiseAtAlphaBar, alphaBarAt, predictionMaps } from './alpha-math';
import { type PredictionType, rejectUnsupported, type SchedulerConfig } from './config';
import { EaselError } from '../../errors';
import { indexForTimestep, requireSteps, trainAlphasCumprod } from './noise-schedule';
import { checkBeginIndex, type NoiseSource, notReady, requireSameLength, type Scheduler } from './types';

/**
 * Latent Consistency Model sampling (Luo et al. 2023), after diffusers' LCMScheduler: each step
 * predicts the clean latent through the consistency boundary condition, then re-noises it to the
 * next timestep with fresh noise (except after the last step).
 */
export class LcmScheduler implements Scheduler {
  readonly name = 'lcm' as const;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  numInferenceSteps = 0;
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private readonly numTrainTimesteps: number;
  private readonly originalInferenceSteps: number;
  private readonly timestepScaling: number;
  private readonly predictionType: PredictionType;
  private readonly clipRange: number | null;
  private stepIndex: number | null = null;
  private beginIndex: number | null = null;

  constructor(config: SchedulerConfig) {
    rejectUnsupported('LCM', config, ['thresholding']);
    this.numTrainTimesteps = config.numTrainTimesteps ?? 1000;
    this.alphasCumprod = trainAlphasCumprod(config, {
      defaults: { betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' },
      zeroSnrTerminalFloor: false,
    });
    this.finalAlphaCumprod = (config.setAlphaToOne ?? true) ? 1 : (this.alphasCumprod[0] as number);
    this.originalInferenceSteps = config.originalInferenceSteps ?? 50;
    this.timestepScaling = config.timestepScaling ?? 10;
    this.predictionType = config.predictionType ?? 'epsilon';
    this.clipRange = (config.clipSample ?? false) ? (config.clipSampleRange ?? 1) : null;
  }

  /** Picks evenly from the distillation schedule's original_inference_steps timesteps. */
  setTimesteps(numInferenceSteps: number): void {
    requireSteps(numInferenceSteps, this.numTrainTimesteps);
    const stride = Math.floor(this.numTrainTimesteps / this.originalInferenceSteps);
    const original = Array.from({ length: this.originalInferenceSteps }, (_, i) => (i + 1) * stride - 1).reverse();
    if (numInferenceSteps > original.length) {
      throw new EaselError(
        'invalid_request',
        `The LCM scheduler takes at most ${original.length} steps (its original_inference_steps); got ${numInferenceSteps}.`,
        { numInferenceSteps },
      );
    }
    this.numInferenceSteps = numInferenceSteps;
    const spacing = original.length / numInferenceSteps;
    this.timesteps = Array.from({ length: numInferenceSteps }, (_, i) => original[Math.floor(i * spacing)] as number);
    this.stepIndex = null;
    this.beginIndex = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise: NoiseSource): Float32Array {
    if (this.numInferenceSteps === 0) throw notReady(this.name);
    requireSameLength(modelOutput, sample, 'step');
    const index = (this.stepIndex ??= this.beginIndex ?? indexForTimestep(this.timesteps, t, 'throw'));
    const prevT = this.timesteps[index + 1] ?? t;
    const alphaBar = alphaBarAt(this.alphasCumprod, t);
    const alphaBarPrev = prevT >= 0 ? alphaBarAt(this.alphasCumprod, prevT) : this.finalAlphaCumprod;
    const scaled = t * this.timestepScaling;
    const sigmaData = 0.5;
    const cSkip = sigmaData ** 2 / (scaled ** 2 + sigmaData ** 2);
    const cOut = scaled / Math.sqrt(scaled ** 2 + sigmaData ** 2);
    const maps = predictionMaps(this.predictionType, alphaBar);
    const last = index === this.numInferenceSteps - 1;
    const fresh = last ? null : noise.randn(sample.length);
    if (fresh !== null) requireSameLength(fresh, sample, 'noise');
    const denoisedScale = last ? 1 : Math.sqrt(alphaBarPrev);
    const noiseScale = Math.sqrt(1 - alphaBarPrev);
    const clip = this.clipRange;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const x = sample[i] as number;
      let x0 = maps.x0FromSample * x + maps.x0FromOutput * (modelOutput[i] as number);
      if (clip !== null) x0 = Math.min(Math.max(x0, -clip), clip);
      const denoised = cOut * x0 + cSkip * x;
      out[i] = fresh === null ? denoised : denoisedScale * denoised + noiseScale * (fresh[i] as number);
    }
    this.stepIndex = index + 1;
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAtAlphaBar(original, noise, alphaBarAt(this.alphasCumprod, t));
  }

  setBeginIndex(index: number): void {
    checkBeginIndex(this.name, this.timesteps, index);
    this.beginIndex = index;
    this.stepIndex = null;
  }
}
