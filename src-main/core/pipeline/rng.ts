import { EaselError } from '../errors';

/** Where a sampler draws its standard-normal noise from. */
export interface NoiseSource {
  randn(length: number): Float32Array;
}

export const MAX_SEED: bigint = 2n ** 64n - 1n;

/**
 * Validates a seed as the generator accepts it: an integer in 0 .. 2^64-1, given as a bigint, a safe
 * integer number, or a decimal string (seeds past 2^53 cannot travel as a JS number without rounding).
 */
export function parseSeed(x: unknown): bigint {
  let seed: bigint;
  if (typeof x === 'bigint') {
    seed = x;
  } else if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) {
      throw new EaselError(
        'invalid_request',
        `Seed ${String(x)} is not a whole number a JS number holds exactly; give seeds above 2^53 as a decimal string.`,
        { seed: String(x) },
      );
    }
    seed = BigInt(x);
  } else if (typeof x === 'string') {
    const text = x.trim();
    if (!/^[0-9]+$/.test(text)) {
      throw new EaselError('invalid_request', `Seed "${x}" is not a whole decimal number.`, { seed: x });
    }
    seed = BigInt(text);
  } else {
    throw new EaselError('invalid_request', `Seed must be a whole number, got ${typeof x}.`, { seed: String(x) });
  }
  if (seed < 0n || seed > MAX_SEED) {
    throw new EaselError('invalid_request', `Seed ${seed} is outside 0 .. ${MAX_SEED}.`, { seed: seed.toString() });
  }
  return seed;
}

const STATE_SIZE = 624;
const SHIFT_SIZE = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const TWO_POW_24 = 16777216;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_PI = 2 * Math.PI;

/**
 * torch's CPU generator (torch 1.13 `CPUGeneratorImpl`): an mt19937 seeded with the seed's low 32 bits,
 * and `torch.randn` on float32 as its CPU kernel computes it, so a seed reproduces the initial latents of
 * diffusers or ComfyUI run with CPU noise. Successive `randn` calls continue the stream as torch does.
 * Values match torch on x86-64 with AVX2 bit for bit; where torch runs its plain C++ kernel instead
 * (no AVX2, ARM) its own values differ from these in the last bit now and then.
 */
export class TorchCpuGenerator implements NoiseSource {
  readonly seed: bigint;
  private readonly state = new Uint32Array(STATE_SIZE);
  private index = STATE_SIZE;
  /** torch caches the second Box–Muller value of its scalar (double) path in the generator. */
  private cachedNormal: number | null = null;

  constructor(seed: bigint | number | string) {
    this.seed = parseSeed(seed);
    const mt = this.state;
    mt[0] = Number(this.seed & 0xffffffffn);
    for (let i = 1; i < STATE_SIZE; i++) {
      const prev = mt[i - 1]!;
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
  }

  randn(length: number): Float32Array {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new EaselError('invalid_request', `Cannot draw ${length} random values.`, { length });
    }
    return length >= 16 ? this.normalFill(length) : this.normalScalar(length);
  }

  /** torch's `normal_fill`: uniforms for the whole tensor, Box–Muller over blocks of 16 (pairs j, j+8). */
  private normalFill(length: number): Float32Array {
    const data = new Float32Array(length);
    this.fillUniforms(data, 0, length);
    boxMullerBlocks(data, 0, length - (length % 16));
    if (length % 16 !== 0) {
      // torch redraws the last 16 values (overlapping the previous block) rather than a short block.
      this.fillUniforms(data, length - 16, length);
      boxMullerBlocks(data, length - 16, length);
    }
    return data;
  }

  private fillUniforms(data: Float32Array, start: number, end: number): void {
    for (let i = start; i < end; i++) data[i] = (this.nextUint32() & 0xffffff) / TWO_POW_24;
  }

  /** torch's scalar path for small tensors: `normal_distribution<double>`, one value per element. */
  private normalScalar(length: number): Float32Array {
    const data = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      if (this.cachedNormal !== null) {
        data[i] = this.cachedNormal;
        this.cachedNormal = null;
        continue;
      }
      const u1 = this.uniform53();
      const u2 = this.uniform53();
      const radius = Math.sqrt(-2 * Math.log(1 - u2));
      const theta = TWO_PI * u1;
      this.cachedNormal = radius * Math.sin(theta);
      data[i] = radius * Math.cos(theta);
    }
    return data;
  }

  /** `uniform_real_distribution<double>`: the low 53 bits of two draws (the first is the high word). */
  private uniform53(): number {
    const high = this.nextUint32() & 0x1fffff;
    const low = this.nextUint32();
    return (high * TWO_POW_32 + low) / TWO_POW_53;
  }

  private nextUint32(): number {
    if (this.index >= STATE_SIZE) this.twist();
    let y = this.state[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.state;
    for (let i = 0; i < STATE_SIZE; i++) {
      const y = (mt[i]! & UPPER_MASK) | (mt[i + 1 < STATE_SIZE ? i + 1 : 0]! & LOWER_MASK);
      const shifted = i + SHIFT_SIZE < STATE_SIZE ? i + SHIFT_SIZE : i + SHIFT_SIZE - STATE_SIZE;
      mt[i] = mt[shifted]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.index = 0;
  }
}

/**
 * torch's AVX2 `normal_fill_16` over each block of 16 in [start, end) (the kernel x86-64 builds run for
 * float32 tensors of 16 or more values): data[j] and data[j+8] become the two values of one Box–Muller
 * pair, computed in float32 with the Cephes polynomials of avx_mathfun.h and the fused multiply-adds the
 * compiler forms from them.
 */
function boxMullerBlocks(data: Float32Array, start: number, end: number): void {
  for (let block = start; block < end; block += 16) {
    for (let j = block; j < block + 8; j++) {
      const radius = fround(Math.sqrt(fround(-2 * logf(1 - data[j]!))));
      sincosf(fround(TWO_PI_F32 * data[j + 8]!));
      // torch then adds the mean (0) with an FMA, which turns -0 into +0.
      data[j] = radius * sincosOut[1]! + 0;
      data[j + 8] = radius * sincosOut[0]! + 0;
    }
  }
}

const fround = Math.fround;
const TWO_PI_F32 = fround(2 * Math.PI);

const doubleLane = new Float64Array(1);
const doubleWords = new Uint32Array(doubleLane.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * Float32 a*b+c rounded once, as the FMA instruction does. a*b is exact in a double; rounding the double
 * sum again to float32 errs only when it lands exactly halfway between two floats (the low 29 bits a
 * float drops are 1000…0), which this checks cheaply on the bits.
 */
function fmaf(a: number, b: number, c: number): number {
  const sum = a * b + c;
  doubleLane[0] = sum;
  if ((doubleWords[LOW_WORD]! & 0x1fffffff) === 0x10000000) {
    return fmafHalfway(a * b, c, sum);
  }
  return fround(sum);
}

/** `sum` is halfway between two floats: the side the exact a*b+c lies on decides. */
function fmafHalfway(product: number, c: number, sum: number): number {
  const rounded = fround(sum);
  const neighbour = rounded + 2 * (sum - rounded);
  const sumPart = sum - product;
  const error = product - (sum - sumPart) + (c - sumPart);
  if (error === 0) return rounded;
  return error > 0 === neighbour > rounded ? neighbour : rounded;
}

const floatLane = new Float32Array(1);
const bitsLane = new Uint32Array(floatLane.buffer);
const LOG_COEFFICIENTS = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(fround) as [number, number, number, number, number, number, number, number, number];
const SQRT_HALF = fround(Math.SQRT1_2);
const LN2_LOW = fround(-2.1219444e-4);
const LN2_HIGH = fround(0.693359375);

/** avx_mathfun's log256_ps for one lane; x is a normal positive float here (torch feeds it (0, 1]). */
function logf(x: number): number {
  floatLane[0] = x;
  const bits = bitsLane[0]!;
  bitsLane[0] = (bits & 0x807fffff) | 0x3f000000;
  let mantissa = floatLane[0]!;
  let exponent = (bits >>> 23) - 126;
  if (mantissa < SQRT_HALF) {
    mantissa = fround(mantissa + mantissa - 1);
    exponent -= 1;
  } else {
    mantissa = fround(mantissa - 1);
  }
  const m = mantissa;
  const m2 = fround(m * m);
  let poly = LOG_COEFFICIENTS[0];
  for (let i = 1; i < 9; i++) poly = fmaf(poly, m, LOG_COEFFICIENTS[i]!);
  poly = fround(poly * m);
  let y = fmaf(poly, m2, fround(exponent * LN2_LOW));
  y = fmaf(-m2, 0.5, y);
  return fmaf(exponent, LN2_HIGH, fround(m + y));
}

const FOUR_OVER_PI = fround(1.27323954473516);
const PI_4_PART1 = fround(-0.78515625);
const PI_4_PART2 = fround(-2.4187564849853515625e-4);
const PI_4_PART3 = fround(-3.774894977445941e-8);
const SIN_COEFFICIENTS = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(fround) as [number, number, number];
const COS_COEFFICIENTS = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(fround) as [
  number,
  number,
  number,
];
/** sincosf's results: [sin, cos] (a typed array, so V8 stores the doubles unboxed). */
const sincosOut = new Float64Array(2);

/** avx_mathfun's sincos256_ps for one lane and x >= 0 (torch's angles lie in [0, 2*pi)). */
function sincosf(x: number): void {
  const octant = (Math.trunc(fround(x * FOUR_OVER_PI)) + 1) & ~1;
  let r = fmaf(octant, PI_4_PART1, x);
  r = fmaf(octant, PI_4_PART2, r);
  r = fmaf(octant, PI_4_PART3, r);
  const r2 = fround(r * r);

  let cosPoly = fmaf(COS_COEFFICIENTS[0], r2, COS_COEFFICIENTS[1]);
  cosPoly = fmaf(cosPoly, r2, COS_COEFFICIENTS[2]);
  cosPoly = fround(cosPoly * r2);
  cosPoly = fmaf(cosPoly, r2, -fround(r2 * 0.5));
  cosPoly = fround(cosPoly + 1);

  let sinPoly = fmaf(SIN_COEFFICIENTS[0], r2, SIN_COEFFICIENTS[1]);
  sinPoly = fmaf(sinPoly, r2, SIN_COEFFICIENTS[2]);
  sinPoly = fround(sinPoly * r2);
  sinPoly = fmaf(sinPoly, r, r);

  const swapPolynomials = (octant & 2) !== 0;
  const sin = swapPolynomials ? cosPoly : sinPoly;
  const cos = swapPolynomials ? sinPoly : cosPoly;
  sincosOut[0] = (octant & 4) !== 0 ? -sin : sin;
  sincosOut[1] = ((octant - 2) & 4) === 0 ? -cos : cos;
}
