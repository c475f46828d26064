import { EaselError } from '../../errors';
import type { PredictionType } from './config';
import { requireSameLength } from './types';

/**
 * Helpers for the schedulers that work on alpha_bar (DDIM, PNDM, LCM) rather than on sigmas.
 */

/** alphas_cumprod[t] for an integer training timestep. */
export function alphaBarAt(alphasCumprod: Float64Array, t: number): number {
  const value = alphasCumprod[t];
  if (!Number.isInteger(t) || value === undefined) {
    throw new EaselError('internal', `Timestep ${t} is outside the training schedule (0-${alphasCumprod.length - 1}).`, {
      t,
    });
  }
  return value;
}

/** sqrt(a) * x0 + sqrt(1 - a) * noise: the forward process q(x_t | x_0). */
export function addNoiseAtAlphaBar(original: Float32Array, noise: Float32Array, alphaBar: number): Float32Array {
  requireSameLength(original, noise, 'addNoise');
  const signal = Math.sqrt(alphaBar);
  const noiseScale = Math.sqrt(1 - alphaBar);
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = signal * (original[i] as number) + noiseScale * (noise[i] as number);
  return out;
}

/**
 * The model's prediction of x0 and of the noise as linear maps of (sample, output):
 * x0 = x0FromSample * x + x0FromOutput * m, eps = epsFromSample * x + epsFromOutput * m.
 */
export interface PredictionMaps {
  x0FromSample: number;
  x0FromOutput: number;
  epsFromSample: number;
  epsFromOutput: number;
}

export function predictionMaps(type: PredictionType, alphaBar: number): PredictionMaps {
  const sa = Math.sqrt(alphaBar);
  const sb = Math.sqrt(1 - alphaBar);
  if (type === 'epsilon') return { x0FromSample: 1 / sa, x0FromOutput: -sb / sa, epsFromSample: 0, epsFromOutput: 1 };
  if (type === 'sample') return { x0FromSample: 0, x0FromOutput: 1, epsFromSample: 1 / sb, epsFromOutput: -sa / sb };
  return { x0FromSample: sa, x0FromOutput: -sb, epsFromSample: sb, epsFromOutput: sa };
}
