import { randomBytes } from 'node:crypto';
import type { GenerateRequest } from '../../../src-preload/api';
import type { GenerationParams } from './types';

/** The one source of random seeds: uniform over the contract's whole range, 0 to 2^64 − 1. */
export function drawSeed(): string {
  return randomBytes(8).readBigUInt64BE(0).toString();
}

/**
 * The pipeline's parameters for a validated request: the model id left out (the model travels resolved, next
 * to them), and a seed drawn when the request brings none.
 */
export function generationParams(request: GenerateRequest): GenerationParams {
  const { modelId: _modelId, seed, ...rest } = request;
  return { ...rest, seed: seed ?? drawSeed() };
}
