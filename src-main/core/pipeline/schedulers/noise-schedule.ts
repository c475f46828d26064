import { EaselError } from '../../errors';
import type { BetaSchedule, SchedulerConfig, TimestepSpacing } from './config';

/**
 * The training noise schedule and the timestep/sigma arithmetic shared by the schedulers.
 * diffusers keeps betas, alphas_cumprod and sigmas as float32 tensors; the values here are rounded
 * the same way (Math.fround) so that timesteps derived from them match exactly, while everything
 * downstream is computed in float64 scalars.
 */

const f32 = Math.fround;

export interface BetaDefaults {
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
}

/** diffusers' defaults for most scheduler classes (Heun and LCM differ). */
export const commonBetaDefaults: BetaDefaults = { betaStart: 0.0001, betaEnd: 0.02, betaSchedule: 'linear' };

/** torch.linspace in float32 on the CPU: each half is stepped from its own end. */
function torchLinspaceF32(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

/** The squaredcos_cap_v2 (cosine) schedule of Nichol & Dhariwal, computed in float64 like diffusers. */
function cosineBetas(count: number): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = f32(Math.min(1 - alphaBar((i + 1) / count) / alphaBar(i / count), 0.999));
  }
  return out;
}

/** Lin et al. 2023, Algorithm 1: shifts the schedule so the last timestep has zero SNR. */
function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const sqrtBar = new Float64Array(n);
  let cumprod = 1;
  for (let i = 0; i < n; i++) {
    cumprod *= 1 - (betas[i] as number);
    sqrtBar[i] = Math.sqrt(cumprod);
  }
  const first = sqrtBar[0] as number;
  const last = sqrtBar[n - 1] as number;
  const scale = first / (first - last);
  const out = new Float64Array(n);
  let previousBar = 1;
  for (let i = 0; i < n; i++) {
    const bar = (((sqrtBar[i] as number) - last) * scale) ** 2;
    out[i] = f32(1 - (i === 0 ? bar : bar / previousBar));
    previousBar = bar;
  }
  return out;
}

export interface AlphasOptions {
  defaults: BetaDefaults;
  /** Euler, Euler a, DPM-Solver and UniPC keep a tiny non-zero alpha at the zero-SNR terminal step. */
  zeroSnrTerminalFloor: boolean;
}

/** alphas_cumprod of the training schedule, float32-rounded as torch stores it. */
export function trainAlphasCumprod(config: SchedulerConfig, options: AlphasOptions): Float64Array {
  const count = config.numTrainTimesteps ?? 1000;
  const schedule = config.betaSchedule ?? options.defaults.betaSchedule;
  const betaStart = config.betaStart ?? options.defaults.betaStart;
  const betaEnd = config.betaEnd ?? options.defaults.betaEnd;
  let betas: Float64Array;
  if (config.trainedBetas !== undefined) {
    betas = Float64Array.from(config.trainedBetas, (b) => f32(b));
  } else if (schedule === 'linear') {
    betas = torchLinspaceF32(betaStart, betaEnd, count);
  } else if (schedule === 'scaled_linear') {
    betas = torchLinspaceF32(Math.sqrt(betaStart), Math.sqrt(betaEnd), count).map((b) => f32(b * b));
  } else {
    betas = cosineBetas(count);
  }
  if (config.rescaleBetasZeroSnr === true) betas = rescaleZeroTerminalSnr(betas);
  // torch.cumprod accumulates float32 inputs in double on the CPU and stores float32.
  const out = new Float64Array(betas.length);
  let cumprod = 1;
  for (let i = 0; i < betas.length; i++) {
    cumprod *= f32(1 - (betas[i] as number));
    out[i] = f32(cumprod);
  }
  if (config.rescaleBetasZeroSnr === true && options.zeroSnrTerminalFloor) out[out.length - 1] = 2 ** -24;
  return out;
}

/** sigma = sqrt((1 - alpha_bar) / alpha_bar) per training timestep, in float32 like torch. */
export function trainSigmas(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.linspace(start, stop, num) with endpoint. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num - 1; i++) out.push(i * step + start);
  out.push(stop);
  return out;
}

/** numpy.arange(start, stop, -step) for a positive float step, as numpy fills it. */
function arangeDown(start: number, stop: number, step: number): number[] {
  const length = Math.ceil((stop - start) / -step);
  const delta = start - step - start;
  const out: number[] = [];
  for (let i = 0; i < length; i++) out.push(start + i * delta);
  return out;
}

/**
 * The descending timesteps of one inference schedule for the spacing rules shared by DDIM-like and
 * sigma-based schedulers ("Common Diffusion Noise Schedules and Sample Steps are Flawed", table 2).
 * `roundLinspace` rounds linspace values to integers (DDIM, PNDM); sigma schedulers keep fractions.
 */
export function spacedTimesteps(
  spacing: TimestepSpacing,
  numTrainTimesteps: number,
  steps: number,
  stepsOffset: number,
  roundLinspace: boolean,
): number[] {
  if (spacing === 'linspace') {
    const values = linspace(0, numTrainTimesteps - 1, steps).reverse();
    return values.map((v) => (roundLinspace ? roundHalfEven(v) : f32(v)));
  }
  if (spacing === 'leading') {
    const ratio = Math.floor(numTrainTimesteps / steps);
    return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + stepsOffset);
  }
  return arangeDown(numTrainTimesteps, 0, numTrainTimesteps / steps).map((v) => roundHalfEven(v) - 1);
}

/**
 * DPM-Solver and UniPC space steps+1 points and drop the last, which keeps the final step away from
 * t = 0; `lastTimestep` is below num_train_timesteps when lambda_min_clipped cuts the schedule.
 */
export function multistepTimesteps(
  spacing: TimestepSpacing,
  numTrainTimesteps: number,
  lastTimestep: number,
  steps: number,
  stepsOffset: number,
): number[] {
  if (spacing === 'linspace') {
    return linspace(0, lastTimestep - 1, steps + 1)
      .map(roundHalfEven)
      .reverse()
      .slice(0, steps);
  }
  if (spacing === 'leading') {
    const ratio = Math.floor(lastTimestep / (steps + 1));
    return Array.from({ length: steps }, (_, i) => (steps - i) * ratio + stepsOffset);
  }
  return arangeDown(lastTimestep, 0, numTrainTimesteps / steps).map((v) => roundHalfEven(v) - 1);
}

/** numpy.interp(x, arange(len(table)), table). */
export function interpolate(table: Float64Array, x: number): number {
  if (x <= 0) return table[0] as number;
  const last = table.length - 1;
  if (x >= last) return table[last] as number;
  const i = Math.floor(x);
  const low = table[i] as number;
  const high = table[i + 1] as number;
  return (high - low) * (x - i) + low;
}

/** The (fractional) training timestep whose sigma is `sigma`, interpolating in log-sigma as diffusers does. */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let count = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - (logSigmas[i] as number) >= 0) count = i + 1;
  const lowIdx = Math.min(Math.max(count - 1, 0), logSigmas.length - 2);
  const low = logSigmas[lowIdx] as number;
  const high = logSigmas[lowIdx + 1] as number;
  const w = Math.min(Math.max((low - logSigma) / (low - high), 0), 1);
  return (1 - w) * lowIdx + w * (lowIdx + 1);
}

/** log of float32 sigmas, kept in float32 as numpy does for a float32 array. */
export function logSigmasOf(sigmas: Float64Array): Float64Array {
  return sigmas.map((s) => f32(Math.log(s)));
}

/** Karras et al. 2022 (eq. 5) noise levels, rho = 7. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return linspace(0, 1, steps).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** Noise levels evenly spaced in log-sigma. */
export function exponentialSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  return linspace(Math.log(sigmaMax), Math.log(sigmaMin), steps).map(Math.exp);
}

/** diffusers' index_for_timestep: the second match when a timestep repeats (Heun), else the first. */
export function indexForTimestep(timesteps: readonly number[], t: number, missing: 'throw' | 'last'): number {
  const first = timesteps.indexOf(t);
  if (first < 0) {
    if (missing === 'last') return timesteps.length - 1;
    throw new EaselError('internal', `Timestep ${t} is not in this scheduler's schedule.`, { t });
  }
  const second = timesteps.indexOf(t, first + 1);
  return second < 0 ? first : second;
}

export function requireSteps(numInferenceSteps: number, numTrainTimesteps: number): void {
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > numTrainTimesteps) {
    throw new EaselError(
      'invalid_request',
      `The number of steps must be a whole number from 1 to ${numTrainTimesteps}; got ${numInferenceSteps}.`,
      { numInferenceSteps },
    );
  }
}
