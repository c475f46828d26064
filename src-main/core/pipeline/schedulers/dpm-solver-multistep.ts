import { rejectUnsupported, type SchedulerConfig } from './config';
import { EaselError } from '../../errors';
import { MultistepScheduler } from './multistep-scheduler';
import { requireSameLength } from './types';

/** Index into the flipped (ascending) lambda table where lambda_min_clipped would be inserted. */
function lastTimestepAbove(lambdaMin: number): (alphasCumprod: Float64Array) => number {
  return (alphasCumprod) => {
    const n = alphasCumprod.length;
    let below = 0;
    for (let i = n - 1; i >= 0; i--) {
      const a = alphasCumprod[i] as number;
      const lambda = Math.fround(Math.log(Math.sqrt(a)) - Math.log(Math.sqrt(1 - a)));
      if (lambda < lambdaMin) below += 1;
      else break;
    }
    return n - below;
  };
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022), after diffusers' DPMSolverMultistepScheduler with
 * algorithm_type "dpmsolver++" and solver_order 2: a data-prediction exponential integrator that
 * reuses the previous model output for its second-order term. `karras` forces Karras sigmas.
 */
export class DpmSolverMultistepScheduler extends MultistepScheduler {
  readonly name: 'dpmpp-2m' | 'dpmpp-2m-karras';
  private readonly heunSolver: boolean;
  private readonly lowerOrderFinal: boolean;
  private readonly eulerAtFinal: boolean;
  private readonly finalSigmaZero: boolean;
  private previousOutput: Float32Array | null = null;

  constructor(config: SchedulerConfig, karras: boolean) {
    rejectUnsupported('DPM++ 2M', config, [
      'useBetaSigmas',
      'useLuLambdas',
      'useFlowSigmas',
      'useDynamicShifting',
      'thresholding',
    ]);
    super(
      config,
      {
        configSigmaBounds: false,
        karrasFinalIsLastSigma: false,
        alwaysRoundKarras: false,
        lastTimestep: lastTimestepAbove(config.lambdaMinClipped ?? -Infinity),
      },
      karras,
    );
    this.name = karras ? 'dpmpp-2m-karras' : 'dpmpp-2m';
    const solverType = config.solverType ?? 'midpoint';
    if (!['midpoint', 'heun', 'logrho', 'bh1', 'bh2'].includes(solverType)) {
      throw new EaselError(
        'model_invalid',
        `The model's scheduler config has a bad value for "solver_type": expected "midpoint" or "heun", got "${solverType}".`,
        { key: 'solver_type', value: solverType },
      );
    }
    this.heunSolver = solverType === 'heun';
    this.lowerOrderFinal = config.lowerOrderFinal ?? true;
    this.eulerAtFinal = config.eulerAtFinal ?? false;
    this.finalSigmaZero = config.finalSigmasType !== 'sigma_min';
  }

  protected resetHistory(): void {
    this.previousOutput = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    requireSameLength(modelOutput, sample, 'step');
    const index = this.currentIndex(t);
    const count = this.timesteps.length;
    const firstOrderFinal =
      index === count - 1 && (this.eulerAtFinal || (this.lowerOrderFinal && count < 15) || this.finalSigmaZero);
    const m0 = this.toDataPrediction(modelOutput, sample, index);
    const m1 = this.previousOutput;
    this.previousOutput = m0;
    this.stepIndex = index + 1;

    const target = this.levelAt(index + 1);
    const current = this.levelAt(index);
    const h = target.lambda - current.lambda;
    const sampleScale = target.sigma / current.sigma;
    const expm = Math.expm1(-h);
    const d0Scale = -target.alpha * expm;
    const out = new Float32Array(sample.length);
    if (m1 === null || firstOrderFinal) {
      for (let i = 0; i < out.length; i++) out[i] = sampleScale * (sample[i] as number) + d0Scale * (m0[i] as number);
      return out;
    }
    const previous = this.levelAt(index - 1);
    const r0 = (current.lambda - previous.lambda) / h;
    // D1 = (m0 - m1) / r0, weighted by the midpoint or Heun rule of DPM-Solver++.
    const d1Scale = (this.heunSolver ? target.alpha * (expm / h + 1) : -0.5 * target.alpha * expm) / r0;
    for (let i = 0; i < out.length; i++) {
      const a = m0[i] as number;
      out[i] = sampleScale * (sample[i] as number) + d0Scale * a + d1Scale * (a - (m1[i] as number));
    }
    return out;
  }
}
