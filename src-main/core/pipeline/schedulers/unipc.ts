import { rejectUnsupported, type SchedulerConfig } from './config';
import { EaselError } from '../../errors';
import { MultistepScheduler } from './multistep-scheduler';
import { requireSameLength } from './types';

/** Solves the small dense system a x = b (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.slice(0, n), b[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs((m[r] as number[])[col] as number) > Math.abs((m[pivot] as number[])[col] as number)) pivot = r;
    }
    [m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]];
    const top = m[col] as number[];
    for (let r = col + 1; r < n; r++) {
      const row = m[r] as number[];
      const factor = (row[col] as number) / (top[col] as number);
      for (let c = col; c <= n; c++) row[c] = (row[c] as number) - factor * (top[c] as number);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = m[r] as number[];
    let sum = row[n] as number;
    for (let c = r + 1; c < n; c++) sum -= (row[c] as number) * (x[c] as number);
    x[r] = sum / (row[r] as number);
  }
  return x;
}

/** The scalars of one UniPC update from a sample at `from` to noise level `to`. */
interface UpdateCoefficients {
  sampleScale: number;
  /** Weight of the newest converted output m0. */
  m0Scale: number;
  /** -(alpha or sigma at `to`) * B(h): multiplies the weighted differences. */
  residualScale: number;
  /** r_k for each older output used (m_k - m0 is divided by it). */
  rks: number[];
  /** The right-hand side b and matrix R of the order conditions. */
  R: number[][];
  b: number[];
}

/**
 * UniPC (Zhao et al. 2023), after diffusers' UniPCMultistepScheduler: a multistep predictor (UniP)
 * whose result is refined by a corrector (UniC) once the model has been evaluated there, at no
 * extra model calls. bh2 by default; data prediction (predict_x0) by default.
 */
export class UniPcScheduler extends MultistepScheduler {
  readonly name = 'unipc' as const;
  private readonly solverOrder: number;
  private readonly bh1: boolean;
  private readonly predictX0: boolean;
  private readonly lowerOrderFinal: boolean;
  private readonly disableCorrector: ReadonlySet<number>;
  /** Converted model outputs, oldest first, at most solverOrder of them. */
  private outputs: Float32Array[] = [];
  private lastSample: Float32Array | null = null;
  private lastOrder = 1;

  constructor(config: SchedulerConfig) {
    rejectUnsupported('UniPC', config, ['useBetaSigmas', 'useFlowSigmas', 'useDynamicShifting', 'thresholding']);
    super(
      config,
      { configSigmaBounds: true, karrasFinalIsLastSigma: true, alwaysRoundKarras: true, lastTimestep: (a) => a.length },
      false,
    );
    this.solverOrder = config.solverOrder ?? 2;
    const solverType = config.solverType ?? 'bh2';
    if (!['bh1', 'bh2', 'midpoint', 'heun', 'logrho'].includes(solverType)) {
      throw new EaselError(
        'model_invalid',
        `The model's scheduler config has a bad value for "solver_type": expected "bh1" or "bh2", got "${solverType}".`,
        { key: 'solver_type', value: solverType },
      );
    }
    this.bh1 = solverType === 'bh1';
    this.predictX0 = config.predictX0 ?? true;
    this.lowerOrderFinal = config.lowerOrderFinal ?? true;
    this.disableCorrector = new Set(config.disableCorrector ?? []);
  }

  protected resetHistory(): void {
    this.outputs = [];
    this.lastSample = null;
    this.lastOrder = 1;
  }

  /**
   * Coefficients for an update of the given order from entry `from` to entry `to`, with older
   * outputs at entries from-1, from-2, ...
   */
  private coefficients(from: number, to: number, order: number): UpdateCoefficients {
    const target = this.levelAt(to);
    const source = this.levelAt(from);
    const h = target.lambda - source.lambda;
    const rks: number[] = [];
    for (let k = 1; k < order; k++) rks.push((this.levelAt(from - k).lambda - source.lambda) / h);
    const nodes = [...rks, 1];
    const hh = this.predictX0 ? -h : h;
    const hPhi1 = Math.expm1(hh);
    const bH = this.bh1 ? hh : Math.expm1(hh);
    let hPhiK = hPhi1 / hh - 1;
    let factorial = 1;
    const R: number[][] = [];
    const b: number[] = [];
    for (let i = 1; i <= order; i++) {
      R.push(nodes.map((r) => r ** (i - 1)));
      b.push((hPhiK * factorial) / bH);
      factorial *= i + 1;
      hPhiK = hPhiK / hh - 1 / factorial;
    }
    const scaleAtTarget = this.predictX0 ? target.alpha : target.sigma;
    return {
      sampleScale: this.predictX0 ? target.sigma / source.sigma : target.alpha / source.alpha,
      m0Scale: -scaleAtTarget * hPhi1,
      residualScale: -scaleAtTarget * bH,
      rks,
      R,
      b,
    };
  }

  /**
   * x = sampleScale * x + m0Scale * m0 + residualScale * (sum_k rho_k (m_k - m0) / r_k
   *   + rhoNew * (mNew - m0)), with `older[k]` the output at r_k.
   */
  private apply(
    c: UpdateCoefficients,
    sample: Float32Array,
    m0: Float32Array,
    older: Float32Array[],
    rhos: number[],
    newest: { output: Float32Array; rho: number } | null,
  ): Float32Array {
    const weights = older.map((_, k) => (c.residualScale * (rhos[k] as number)) / (c.rks[k] as number));
    const newWeight = newest === null ? 0 : c.residualScale * newest.rho;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const base = m0[i] as number;
      let value = c.sampleScale * (sample[i] as number) + c.m0Scale * base;
      for (let k = 0; k < older.length; k++) value += (weights[k] as number) * (((older[k] as Float32Array)[i] as number) - base);
      if (newest !== null) value += newWeight * ((newest.output[i] as number) - base);
      out[i] = value;
    }
    return out;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    requireSameLength(modelOutput, sample, 'step');
    const index = this.currentIndex(t);
    const converted = this.predictX0
      ? this.toDataPrediction(modelOutput, sample, index)
      : this.toNoisePrediction(modelOutput, sample, index);

    let current = sample;
    const previous = this.lastSample;
    if (index > 0 && previous !== null && !this.disableCorrector.has(index - 1)) {
      // UniC: redo the last update from the previous sample, now that the model was evaluated here.
      const order = this.lastOrder;
      const c = this.coefficients(index - 1, index, order);
      const rhos = order === 1 ? [0.5] : solve(c.R, c.b);
      const m0 = this.outputs[this.outputs.length - 1] as Float32Array;
      const older = Array.from({ length: order - 1 }, (_, k) => this.outputs[this.outputs.length - 2 - k] as Float32Array);
      current = this.apply(c, previous, m0, older, rhos, { output: converted, rho: rhos[order - 1] as number });
    }

    this.outputs.push(converted);
    if (this.outputs.length > this.solverOrder) this.outputs.shift();
    const wanted = this.lowerOrderFinal
      ? Math.min(this.solverOrder, this.timesteps.length - index)
      : this.solverOrder;
    // Warm up: never use more history than there is.
    const order = Math.min(wanted, this.outputs.length);
    this.lastOrder = order;
    this.lastSample = current;

    // UniP: extrapolate to the next noise level from the outputs seen so far.
    const c = this.coefficients(index, index + 1, order);
    const rhos = order === 1 ? [] : order === 2 ? [0.5] : solve(c.R.slice(0, -1).map((row) => row.slice(0, -1)), c.b.slice(0, -1));
    const m0 = converted;
    const older = Array.from({ length: order - 1 }, (_, k) => this.outputs[this.outputs.length - 2 - k] as Float32Array);
    this.stepIndex = index + 1;
    return this.apply(c, current, m0, older, rhos, null);
  }
}
