import { rejectUnsupported, type SchedulerConfig } from './config';
import { commonBetaDefaults } from './noise-schedule';
import { SigmaScheduler } from './sigma-scheduler';
import { requireSameLength } from './types';

/** Euler's method on the probability-flow ODE (Karras et al. 2022), after diffusers' EulerDiscreteScheduler. */
export class EulerScheduler extends SigmaScheduler {
  readonly name = 'euler' as const;

  constructor(config: SchedulerConfig) {
    rejectUnsupported('Euler', config, ['useBetaSigmas', 'interpolationType', 'timestepType']);
    super(config, {
      betaDefaults: commonBetaDefaults,
      zeroSnrTerminalFloor: true,
      karras: true,
      exponential: true,
      configSigmaBounds: true,
      finalSigmasType: true,
    });
  }

  setTimesteps(numInferenceSteps: number): void {
    const { timesteps, sigmas } = this.baseSchedule(numInferenceSteps);
    this.timesteps = timesteps;
    this.sigmas = sigmas;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    requireSameLength(modelOutput, sample, 'step');
    const index = this.currentIndex(t);
    const sigma = this.sigmas[index] as number;
    const dt = (this.sigmas[index + 1] as number) - sigma;
    const { fromSample, fromOutput } = this.x0Map(sigma);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const x = sample[i] as number;
      const x0 = fromSample * x + fromOutput * (modelOutput[i] as number);
      out[i] = x + ((x - x0) / sigma) * dt;
    }
    this.stepIndex = index + 1;
    return out;
  }
}
