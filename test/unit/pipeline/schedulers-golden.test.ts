import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createScheduler, type NoiseSource, type SchedulerName } from '../../../src-main/core/pipeline/schedulers';
import { sharedPath } from '../../helpers/shared';

interface TraceEntry {
  t: number;
  scaled: number[];
  sample: number[];
}

interface GoldenCase {
  name: SchedulerName;
  diffusers_class: string;
  config: Record<string, unknown>;
  steps: number;
  sample0: number[];
  model: { a: number; b: number; c: number };
  init_noise_sigma: number;
  noises: number[][];
  timesteps: number[];
  trace: TraceEntry[];
  final: number[];
}

/** Python's json writes -Infinity as a bare token; -1e999 parses to the same number. */
function loadGolden(): GoldenCase[] {
  const text = fs.readFileSync(sharedPath('golden', 'schedulers', 'diffusers-trajectories.json'), 'utf8');
  return (JSON.parse(text.replaceAll('-Infinity', '-1e999')) as { cases: GoldenCase[] }).cases;
}

/** Per element: |actual - expected| <= 1e-4 * |expected|, with an absolute floor of 1e-5 near zero. */
const relTol = 1e-4;
const absFloor = 1e-5;

function worstMismatch(actual: Float32Array, expected: number[]): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} vs ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    if (!(Math.abs(a - e) <= Math.max(relTol * Math.abs(e), absFloor))) return `element ${i}: ${a} vs ${e}`;
  }
  return null;
}

class ReplayNoise implements NoiseSource {
  drawn = 0;
  constructor(private readonly draws: number[][]) {}
  randn(length: number): Float32Array {
    const next = this.draws[this.drawn];
    if (next === undefined) throw new Error(`the scheduler drew more noise than diffusers (${this.drawn + 1} draws)`);
    expect(next.length).toBe(length);
    this.drawn += 1;
    return Float32Array.from(next);
  }
}

const cases = loadGolden();

describe('schedulers reproduce diffusers trajectories', () => {
  it('has the cases the contract names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(11);
  });

  for (const golden of cases) {
    const label = `${golden.name} (${golden.diffusers_class}, ${golden.steps} steps, ${String(golden.config['timestep_spacing'])})`;
    it(label, () => {
      const scheduler = createScheduler(golden.name, golden.config);
      scheduler.setTimesteps(golden.steps);
      expect(scheduler.timesteps).toEqual(golden.timesteps);
      expect(scheduler.initNoiseSigma).toBeCloseTo(golden.init_noise_sigma, 4);

      const { a, b, c } = golden.model;
      const noise = new ReplayNoise(golden.noises);
      let sample: Float32Array = Float32Array.from(golden.sample0, (v) => v * scheduler.initNoiseSigma);
      scheduler.timesteps.forEach((t, k) => {
        const entry = golden.trace[k] as TraceEntry;
        expect(t).toBe(entry.t);
        const scaled = scheduler.scaleModelInput(sample, t);
        expect(worstMismatch(scaled, entry.scaled), `scaled input at step ${k}`).toBeNull();
        const eps = new Float32Array(scaled.length);
        for (let i = 0; i < eps.length; i++) eps[i] = a * (scaled[i] as number) + b * Math.cos(c * t + 0.37 * i);
        sample = scheduler.step(eps, t, sample, noise);
        expect(worstMismatch(sample, entry.sample), `sample after step ${k}`).toBeNull();
      });
      expect(noise.drawn).toBe(golden.noises.length);
      expect(worstMismatch(sample, golden.final), 'final sample').toBeNull();
    });
  }
});
