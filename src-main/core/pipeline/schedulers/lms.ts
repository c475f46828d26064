import { rejectUnsupported, type SchedulerConfig } from './config';
import { commonBetaDefaults } from './noise-schedule';
import { SigmaScheduler } from './sigma-scheduler';
import { requireSameLength } from './types';

const maxOrder = 4;

/** Gauss–Legendre nodes and weights on [-1, 1]; four points integrate cubics (and beyond) exactly. */
const gaussNodes = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const gaussWeights = [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538];

function integrate(f: (x: number) => number, a: number, b: number): number {
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  let sum = 0;
  for (let k = 0; k < gaussNodes.length; k++) sum += (gaussWeights[k] as number) * f(mid + half * (gaussNodes[k] as number));
  return sum * half;
}

/**
 * Linear multistep sampling (Karras et al. 2022 / k-diffusion's sample_lms), after diffusers'
 * LMSDiscreteScheduler: the step integrates the Lagrange polynomial through the last (up to four)
 * derivatives over the sigma interval. The integrands are polynomials of degree < 4, so a
 * four-point Gauss–Legendre rule gives the integral exactly (diffusers calls scipy's quad).
 */
export class LmsScheduler extends SigmaScheduler {
  readonly name = 'lms' as const;
  private derivatives: Float32Array[] = [];

  constructor(config: SchedulerConfig) {
    rejectUnsupported('LMS', config, ['useBetaSigmas']);
    super(config, {
      betaDefaults: commonBetaDefaults,
      zeroSnrTerminalFloor: false,
      karras: true,
      exponential: true,
      configSigmaBounds: false,
      finalSigmasType: false,
    });
  }

  setTimesteps(numInferenceSteps: number): void {
    const { timesteps, sigmas } = this.baseSchedule(numInferenceSteps);
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.derivatives = [];
  }

  override setBeginIndex(index: number): void {
    super.setBeginIndex(index);
    this.derivatives = [];
  }

  /** The integral over [sigmas[index], sigmas[index + 1]] of the Lagrange basis polynomial of node `current`. */
  private coefficient(order: number, index: number, current: number): number {
    const sigmas = this.sigmas;
    const node = sigmas[index - current] as number;
    return integrate(
      (tau) => {
        let product = 1;
        for (let k = 0; k < order; k++) {
          if (k === current) continue;
          const other = sigmas[index - k] as number;
          product *= (tau - other) / (node - other);
        }
        return product;
      },
      sigmas[index] as number,
      sigmas[index + 1] as number,
    );
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    requireSameLength(modelOutput, sample, 'step');
    const index = this.currentIndex(t);
    const sigma = this.sigmas[index] as number;
    const { fromSample, fromOutput } = this.x0Map(sigma);
    const derivative = new Float32Array(sample.length);
    for (let i = 0; i < derivative.length; i++) {
      const x = sample[i] as number;
      derivative[i] = (x - (fromSample * x + fromOutput * (modelOutput[i] as number))) / sigma;
    }
    this.derivatives.push(derivative);
    if (this.derivatives.length > maxOrder) this.derivatives.shift();
    // Order grows with the history actually held, so a run started part-way (img2img) warms up too.
    const order = this.derivatives.length;
    const newestFirst = [...this.derivatives].reverse();
    const coefficients = newestFirst.map((_, k) => this.coefficient(order, index, k));
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      let sum = sample[i] as number;
      for (let k = 0; k < order; k++) sum += (coefficients[k] as number) * ((newestFirst[k] as Float32Array)[i] as number);
      out[i] = sum;
    }
    this.stepIndex = index + 1;
    return out;
  }
}
