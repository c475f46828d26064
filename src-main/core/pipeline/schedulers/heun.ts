import { type SchedulerConfig, rejectUnsupported } from './config';
import { EaselError } from '../../errors';
import { SigmaScheduler } from './sigma-scheduler';
import { requireSameLength } from './types';

/**
 * Heun's second-order method (Karras et al. 2022, algorithm 1 without churn), after diffusers'
 * HeunDiscreteScheduler: every noise level but the first is visited twice, once for the Euler
 * predictor and once for the trapezoidal corrector, so `timesteps` repeats them.
 */
export class HeunScheduler extends SigmaScheduler {
  readonly name = 'heun' as const;
  private readonly clipRange: number | null;
  /** Saved by the predictor for the corrector: slope, step size and the sample it started from. */
  private pending: { derivative: Float32Array; dt: number; sample: Float32Array } | null = null;

  constructor(config: SchedulerConfig) {
    rejectUnsupported('Heun', config, ['useBetaSigmas']);
    super(config, {
      betaDefaults: { betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'linear' },
      zeroSnrTerminalFloor: false,
      karras: true,
      exponential: true,
      configSigmaBounds: false,
      finalSigmasType: false,
    });
    this.clipRange = (config.clipSample ?? false) ? (config.clipSampleRange ?? 1) : null;
  }

  setTimesteps(numInferenceSteps: number): void {
    const { timesteps, sigmas } = this.baseSchedule(numInferenceSteps);
    const last = sigmas.length - 1;
    this.sigmas = [sigmas[0] as number, ...sigmas.slice(1, last).flatMap((s) => [s, s]), sigmas[last] as number];
    this.timesteps = [timesteps[0] as number, ...timesteps.slice(1).flatMap((t) => [t, t])];
    this.pending = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    requireSameLength(modelOutput, sample, 'step');
    const index = this.currentIndex(t);
    const pending = this.pending;
    // The predictor evaluates at the start of its interval, the corrector at the end; the repeated
    // sigmas make both sigmas[index].
    const sigma = this.sigmas[index] as number;
    const { fromSample, fromOutput } = this.x0Map(sigma);
    const clip = this.clipRange;
    const out = new Float32Array(sample.length);
    if (pending === null) {
      const dt = (this.sigmas[index + 1] as number) - sigma;
      const derivative = new Float32Array(sample.length);
      for (let i = 0; i < out.length; i++) {
        const x = sample[i] as number;
        let x0 = fromSample * x + fromOutput * (modelOutput[i] as number);
        if (clip !== null) x0 = Math.min(Math.max(x0, -clip), clip);
        const d = (x - x0) / sigma;
        derivative[i] = d;
        out[i] = x + d * dt;
      }
      this.pending = { derivative, dt, sample };
    } else {
      for (let i = 0; i < out.length; i++) {
        const x = sample[i] as number;
        let x0 = fromSample * x + fromOutput * (modelOutput[i] as number);
        if (clip !== null) x0 = Math.min(Math.max(x0, -clip), clip);
        const d = ((pending.derivative[i] as number) + (x - x0) / sigma) / 2;
        out[i] = (pending.sample[i] as number) + d * pending.dt;
      }
      this.pending = null;
    }
    this.stepIndex = index + 1;
    return out;
  }

  /** img2img must start on a predictor step: index 0 or the first visit of a noise level. */
  override setBeginIndex(index: number): void {
    if (index % 2 !== 0) {
      throw new EaselError('invalid_request', `The Heun scheduler cannot start at step ${index}: it is a corrector step.`, {
        index,
      });
    }
    super.setBeginIndex(index);
    this.pending = null;
  }
}
