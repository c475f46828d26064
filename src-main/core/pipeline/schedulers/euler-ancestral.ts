import type { SchedulerConfig } from './config';
import { commonBetaDefaults } from './noise-schedule';
import { SigmaScheduler } from './sigma-scheduler';
import { type NoiseSource, requireSameLength } from './types';

/**
 * Euler ancestral sampling, after diffusers' EulerAncestralDiscreteScheduler: a deterministic Euler
 * step down to sigma_down, then fresh noise of size sigma_up (drawn on every step, the last too).
 */
export class EulerAncestralScheduler extends SigmaScheduler {
  readonly name = 'euler-a' as const;

  constructor(config: SchedulerConfig) {
    super(config, {
      betaDefaults: commonBetaDefaults,
      zeroSnrTerminalFloor: true,
      karras: false,
      exponential: false,
      configSigmaBounds: false,
      finalSigmasType: false,
    });
  }

  setTimesteps(numInferenceSteps: number): void {
    const { timesteps, sigmas } = this.baseSchedule(numInferenceSteps);
    this.timesteps = timesteps;
    this.sigmas = sigmas;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise: NoiseSource): Float32Array {
    requireSameLength(modelOutput, sample, 'step');
    const index = this.currentIndex(t);
    const sigmaFrom = this.sigmas[index] as number;
    const sigmaTo = this.sigmas[index + 1] as number;
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    const dt = sigmaDown - sigmaFrom;
    const { fromSample, fromOutput } = this.x0Map(sigmaFrom);
    const fresh = noise.randn(sample.length);
    requireSameLength(fresh, sample, 'noise');
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const x = sample[i] as number;
      const x0 = fromSample * x + fromOutput * (modelOutput[i] as number);
      out[i] = x + ((x - x0) / sigmaFrom) * dt + (fresh[i] as number) * sigmaUp;
    }
    this.stepIndex = index + 1;
    return out;
  }
}
