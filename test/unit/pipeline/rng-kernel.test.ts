import { describe, expect, it } from 'vitest';
import { boxMullerBlocks } from '../../../src-main/core/pipeline/normal-kernel';

/*
 * The generator's Box–Muller kernel emulates each of torch's float32 FMAs as Math.fround(a*b + c), which
 * rounds twice. It relies on that never differing from one exact rounding for the inputs the kernel can
 * see: uniforms k / 2^24 for k in 0 .. 2^24-1, the radius depending on the first of a pair only and the
 * angle on the second only. This runs the kernel on every value of each against a reference that emulates
 * the FMA exactly (the double sum is corrected whenever it lies halfway between two floats) and reads the
 * float bits as avx_mathfun does.
 */

const fround = Math.fround;
const doubleLane = new Float64Array(1);
const doubleWords = new Uint32Array(doubleLane.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/** Float32 a*b+c with a single rounding, for float32 a, b, c. */
function exactFmaf(a: number, b: number, c: number): number {
  const product = a * b; // exact: two 24-bit significands
  const sum = product + c;
  doubleLane[0] = sum;
  // Rounding the double to float is only wrong when the double is exactly halfway (the 29 bits a float drops are 100…0).
  if ((doubleWords[LOW_WORD]! & 0x1fffffff) !== 0x10000000) return fround(sum);
  const sumPart = sum - product;
  const error = product - (sum - sumPart) + (c - sumPart); // TwoSum: the exact sum is sum + error
  const rounded = fround(sum);
  if (error === 0) return rounded;
  const neighbour = rounded + 2 * (sum - rounded);
  return error > 0 === neighbour > rounded ? neighbour : rounded;
}

const floatLane = new Float32Array(1);
const bitsLane = new Uint32Array(floatLane.buffer);
const LOG_COEFFICIENTS = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(fround);

/** avx_mathfun's log256_ps for one positive normal float, reading the exponent from the float's bits. */
function referenceLogf(x: number): number {
  floatLane[0] = x;
  const bits = bitsLane[0]!;
  bitsLane[0] = (bits & 0x807fffff) | 0x3f000000;
  let mantissa = floatLane[0]!;
  let exponent = (bits >>> 23) - 126;
  if (mantissa < fround(Math.SQRT1_2)) {
    mantissa = fround(mantissa + mantissa - 1);
    exponent -= 1;
  } else {
    mantissa = fround(mantissa - 1);
  }
  const m = mantissa;
  const m2 = fround(m * m);
  let poly = LOG_COEFFICIENTS[0]!;
  for (let i = 1; i < 9; i++) poly = exactFmaf(poly, m, LOG_COEFFICIENTS[i]!);
  poly = fround(poly * m);
  let y = exactFmaf(poly, m2, fround(exponent * fround(-2.1219444e-4)));
  y = exactFmaf(-m2, 0.5, y);
  return exactFmaf(exponent, fround(0.693359375), fround(m + y));
}

const SIN_COEFFICIENTS = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(fround);
const COS_COEFFICIENTS = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(fround);

/** avx_mathfun's sincos256_ps for one float x >= 0, written to sincos as [sin, cos]. */
const sincos = new Float64Array(2);
function referenceSincosf(x: number): void {
  const octant = (Math.trunc(fround(x * fround(1.27323954473516))) + 1) & ~1;
  let r = exactFmaf(octant, fround(-0.78515625), x);
  r = exactFmaf(octant, fround(-2.4187564849853515625e-4), r);
  r = exactFmaf(octant, fround(-3.774894977445941e-8), r);
  const r2 = fround(r * r);
  let cosPoly = exactFmaf(COS_COEFFICIENTS[0]!, r2, COS_COEFFICIENTS[1]!);
  cosPoly = exactFmaf(cosPoly, r2, COS_COEFFICIENTS[2]!);
  cosPoly = fround(cosPoly * r2);
  cosPoly = exactFmaf(cosPoly, r2, -fround(r2 * 0.5));
  cosPoly = fround(cosPoly + 1);
  let sinPoly = exactFmaf(SIN_COEFFICIENTS[0]!, r2, SIN_COEFFICIENTS[1]!);
  sinPoly = exactFmaf(sinPoly, r2, SIN_COEFFICIENTS[2]!);
  sinPoly = fround(sinPoly * r2);
  sinPoly = exactFmaf(sinPoly, r, r);
  const swap = (octant & 2) !== 0;
  const sin = swap ? cosPoly : sinPoly;
  const cos = swap ? sinPoly : cosPoly;
  sincos[0] = (octant & 4) !== 0 ? -sin : sin;
  sincos[1] = ((octant - 2) & 4) === 0 ? -cos : cos;
}

const UNIFORMS = 2 ** 24;
const TWO_PI_F32 = fround(2 * Math.PI);
const referenceRadius = (k: number) => fround(Math.sqrt(fround(-2 * referenceLogf(1 - k / UNIFORMS))));

/** Uniforms per kernel call: 2^16 pairs in 2^13 blocks of 16. */
const CHUNK = 2 ** 16;

/**
 * Runs the kernel on pairs (firstOf(k), secondOf(k)) for every k in 0 .. 2^24-1 and counts the outputs
 * that differ in any bit from torch's formula out[j] = radius * cos + 0, out[j+8] = radius * sin + 0
 * evaluated on the reference.
 */
function sweep(firstOf: (k: number) => number, secondOf: (k: number) => number): { mismatches: number; first: number } {
  const uniforms = new Int32Array(2 * CHUNK);
  const out = new Float32Array(2 * CHUNK);
  let mismatches = 0;
  let first = -1;
  let radiusOf = -1;
  let radius = 0;
  let angleOf = -1;
  for (let base = 0; base < UNIFORMS; base += CHUNK) {
    for (let i = 0; i < CHUNK; i++) {
      const slot = (i >> 3) * 16 + (i & 7);
      uniforms[slot] = firstOf(base + i);
      uniforms[slot + 8] = secondOf(base + i);
    }
    boxMullerBlocks(uniforms, out, 0, out.length);
    for (let i = 0; i < CHUNK; i++) {
      const slot = (i >> 3) * 16 + (i & 7);
      // One of the two stays fixed through a sweep: the reference recomputes only what changed.
      if (uniforms[slot] !== radiusOf) {
        radiusOf = uniforms[slot]!;
        radius = referenceRadius(radiusOf);
      }
      if (uniforms[slot + 8] !== angleOf) {
        angleOf = uniforms[slot + 8]!;
        referenceSincosf(fround(TWO_PI_F32 * (angleOf / UNIFORMS)));
      }
      const cosOut = fround(radius * sincos[1]! + 0);
      const sinOut = fround(radius * sincos[0]! + 0);
      if (!Object.is(out[slot], cosOut) || !Object.is(out[slot + 8], sinOut)) {
        mismatches++;
        if (first < 0) first = base + i;
      }
    }
  }
  return { mismatches, first };
}

describe('the Box–Muller kernel over every possible uniform', () => {
  it('computes the radius sqrt(-2 log(1 - u1)) as exact FMAs would, for all 2^24 values of u1', () => {
    // u2 = 0: cos = 1 and sin = 0, so out[j] is the radius itself.
    expect(sweep((k) => k, () => 0)).toEqual({ mismatches: 0, first: -1 });
  });

  it('computes cos and sin of 2*pi*u2 as exact FMAs would, for all 2^24 values of u2', () => {
    // A u1 whose radius is exactly 1, so out[j] and out[j+8] are the cosine and sine themselves.
    let unitRadius = Math.round(UNIFORMS * (1 - Math.exp(-0.5)));
    while (referenceRadius(unitRadius) !== 1) unitRadius++;
    expect(sweep(() => unitRadius, (k) => k)).toEqual({ mismatches: 0, first: -1 });
  });
});
