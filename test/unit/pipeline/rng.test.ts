import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { MAX_SEED, TorchCpuGenerator, parseSeed } from '../../../src-main/core/pipeline/rng';
import { sharedPath } from '../../helpers/shared';

interface RandnCase {
  seed: string;
  shape: number[];
  n: number;
  head: number[];
  tail: number[];
  sum: number;
  sumsq: number;
  all?: number[];
}

const golden = JSON.parse(fs.readFileSync(sharedPath('golden', 'rng', 'torch-cpu-randn.json'), 'utf8')) as {
  cases: RandnCase[];
};

function expectEaselError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe(code);
    return;
  }
  throw new Error('expected an EaselError');
}

describe('TorchCpuGenerator matches torch.randn on the CPU', () => {
  it.each(golden.cases.map((c) => [`seed ${c.seed}, shape [${c.shape.join(', ')}]`, c] as const))('%s', (_, c) => {
    const values = new TorchCpuGenerator(c.seed).randn(c.n);
    expect(values).toBeInstanceOf(Float32Array);
    expect(values.length).toBe(c.n);
    // torch's float32 values round-trip exactly through the JSON doubles: demand bit equality.
    expect(Array.from(values.subarray(0, 32))).toEqual(c.head);
    expect(Array.from(values.subarray(c.n - 32))).toEqual(c.tail);
    if (c.all) expect(Array.from(values)).toEqual(c.all);
    let sum = 0;
    let sumsq = 0;
    for (const v of values) {
      sum += v;
      sumsq += v * v;
    }
    expect(sum).toBeCloseTo(c.sum, 6);
    expect(sumsq / c.sumsq).toBeCloseTo(1, 9);
  });

  it("covers both of torch's kernels and a seed at the 32-bit limit", () => {
    expect(golden.cases.some((c) => c.n < 16)).toBe(true);
    expect(golden.cases.some((c) => c.n >= 16 && c.n % 16 !== 0)).toBe(true);
    expect(golden.cases.some((c) => BigInt(c.seed) === 2n ** 32n - 1n)).toBe(true);
  });
});

describe('TorchCpuGenerator stream', () => {
  it('continues the stream across calls like torch (whole blocks of 16 concatenate)', () => {
    const whole = new TorchCpuGenerator(7).randn(96);
    const parts = new TorchCpuGenerator(7);
    const first = parts.randn(32);
    const second = parts.randn(64);
    expect([...first, ...second]).toEqual([...whole]);
  });

  it('hands out the cached second Box–Muller value of the small-tensor path on the next call', () => {
    const pair = new TorchCpuGenerator(99).randn(2);
    const oneByOne = new TorchCpuGenerator(99);
    expect([oneByOne.randn(1)[0], oneByOne.randn(1)[0]]).toEqual([pair[0], pair[1]]);
  });

  it('draws different values for a later call', () => {
    const generator = new TorchCpuGenerator(5);
    expect(Array.from(generator.randn(64))).not.toEqual(Array.from(generator.randn(64)));
  });

  it('seeds mt19937 with the low 32 bits of the 64-bit seed, as torch does', () => {
    const low = new TorchCpuGenerator(42).randn(32);
    expect(Array.from(new TorchCpuGenerator(2n ** 32n + 42n).randn(32))).toEqual(Array.from(low));
    expect(Array.from(new TorchCpuGenerator('18446744069414584362').randn(32))).toEqual(Array.from(low));
  });

  it('returns an empty array for zero values', () => {
    expect(new TorchCpuGenerator(1).randn(0).length).toBe(0);
  });

  it('rejects a length that is not a whole non-negative number', () => {
    const generator = new TorchCpuGenerator(1);
    expectEaselError(() => generator.randn(-1), 'invalid_request');
    expectEaselError(() => generator.randn(2.5), 'invalid_request');
  });

  it('draws SDXL-sized latents (2x4x128x128) in one call', () => {
    const values = new TorchCpuGenerator(1).randn(2 * 4 * 128 * 128);
    expect(values.length).toBe(131072);
    expect(values.every(Number.isFinite)).toBe(true);
  });
});

describe('parseSeed', () => {
  it('accepts bigints, safe integers and decimal strings across 0 .. 2^64-1', () => {
    expect(parseSeed(0)).toBe(0n);
    expect(parseSeed(123)).toBe(123n);
    expect(parseSeed(Number.MAX_SAFE_INTEGER)).toBe(2n ** 53n - 1n);
    expect(parseSeed(' 42 ')).toBe(42n);
    expect(parseSeed('18446744073709551615')).toBe(MAX_SEED);
    expect(parseSeed(MAX_SEED)).toBe(2n ** 64n - 1n);
    expect(new TorchCpuGenerator('18446744073709551615').seed).toBe(MAX_SEED);
  });

  it.each([
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['a number past 2^53', 2 ** 60],
    ['2^64', 2n ** 64n],
    ['a negative bigint', -5n],
    ['a string past 2^64-1', '18446744073709551616'],
    ['a non-decimal string', '0x10'],
    ['an empty string', ''],
    ['a signed string', '-3'],
    ['null', null],
    ['an object', { seed: 1 }],
  ])('rejects %s', (_, value) => {
    expectEaselError(() => parseSeed(value), 'invalid_request');
    expectEaselError(() => new TorchCpuGenerator(value as never), 'invalid_request');
  });
});
