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
  /** The mt19937 state words; an Int32Array keeps every word a small integer for V8 (same bits as uint32). */
  private readonly state = new Int32Array(STATE_SIZE);
  private index = STATE_SIZE;
  /** Scratch for normalFill's uniforms, kept between calls (a sampler draws the same size every step). */
  private uniforms = new Int32Array(0);
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

  /**
   * torch's `normal_fill`: uniforms for the whole tensor, then Box–Muller over blocks of 16. The uniforms
   * are kept as their 24-bit integers (u = k / 2^24) in a scratch array, which spares float conversions.
   */
  private normalFill(length: number): Float32Array {
    const data = new Float32Array(length);
    if (this.uniforms.length < length) this.uniforms = new Int32Array(length);
    const uniforms = this.uniforms;
    this.drawUniforms(uniforms, 0, length);
    boxMullerBlocks(uniforms, data, 0, length - (length % 16));
    if (length % 16 !== 0) {
      // torch redraws the last 16 values (overlapping the previous block) rather than a short block.
      this.drawUniforms(uniforms, length - 16, length);
      boxMullerBlocks(uniforms, data, length - 16, length);
    }
    return data;
  }

  /**
   * `uniform_real_distribution<float>` draws k / 2^24 from the low 24 bits k of each word; this stores k.
   * The tempering is written out and the state refilled 624 words at a time: after Box–Muller, this loop
   * is most of a draw's cost.
   */
  private drawUniforms(uniforms: Int32Array, start: number, end: number): void {
    const mt = this.state;
    let index = this.index;
    let i = start;
    while (i < end) {
      if (index === STATE_SIZE) {
        twist(mt);
        index = 0;
      }
      const stop = Math.min(end, i + STATE_SIZE - index);
      for (; i < stop; i++) {
        let y = mt[index++]!;
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        uniforms[i] = y & 0xffffff;
      }
    }
    this.index = index;
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
    if (this.index >= STATE_SIZE) {
      twist(this.state);
      this.index = 0;
    }
    let y = this.state[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** mt19937's refill of all 624 words, split in three loops so no index wraps inside them. */
function twist(mt: Int32Array): void {
  let i = 0;
  for (; i < STATE_SIZE - SHIFT_SIZE; i++) {
    const y = (mt[i]! & UPPER_MASK) | (mt[i + 1]! & LOWER_MASK);
    mt[i] = mt[i + SHIFT_SIZE]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  for (; i < STATE_SIZE - 1; i++) {
    const y = (mt[i]! & UPPER_MASK) | (mt[i + 1]! & LOWER_MASK);
    mt[i] = mt[i + SHIFT_SIZE - STATE_SIZE]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  }
  const y = (mt[i]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
  mt[i] = mt[SHIFT_SIZE - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
}

/*
 * torch's AVX2 `normal_fill_16`, the kernel x86-64 builds run for float32 tensors of 16 or more values:
 * in each block of 16 uniforms, u1 = block[j] and u2 = block[j+8] (j < 8) make one Box–Muller pair,
 *   radius = sqrt(-2 log(1 - u1)), out[j] = radius * cos(2*pi*u2), out[j+8] = radius * sin(2*pi*u2),
 * computed in float32 with Cephes' log and sincos as avx_mathfun.h writes them and the fused multiply-adds
 * the compiler forms from them.
 *
 * Each float32 operation here is a double operation rounded with Math.fround: a product of two floats is
 * exact in a double, and a sum, difference or square root of floats rounded to double and then to float is
 * the correctly rounded float. An FMA a*b+c is emulated as fround(a*b + c). The product is exact, so this
 * rounds twice (to double, then to float), which differs from the FMA's single rounding only when the
 * double addition was inexact and its result lies exactly halfway between two floats. The radius depends
 * on u1 alone and the angle on u2 alone, each a 24-bit uniform: test/unit/pipeline/rng-kernel.test.ts runs
 * this kernel on all 2^24 values of each against an exact FMA emulation, and that case never arises, so no
 * FMA needs a slower exact path.
 */
const fround = Math.fround;
const SQRT_HALF = fround(Math.SQRT1_2);
const LN2_LOW = fround(-2.1219444e-4);
const LN2_HIGH = fround(0.693359375);
const LOG_P0 = fround(7.0376836292e-2);
const LOG_P1 = fround(-1.151461031e-1);
const LOG_P2 = fround(1.167699874e-1);
const LOG_P3 = fround(-1.2420140846e-1);
const LOG_P4 = fround(1.4249322787e-1);
const LOG_P5 = fround(-1.6668057665e-1);
const LOG_P6 = fround(2.0000714765e-1);
const LOG_P7 = fround(-2.4999993993e-1);
const LOG_P8 = fround(3.3333331174e-1);
/** float32 2*pi over 2^24: times k, exactly float32 2*pi times u = k / 2^24. */
const TWO_PI_OVER_2_POW_24 = fround(2 * Math.PI) / 16777216;
const FOUR_OVER_PI = fround(1.27323954473516);
const PI_4_PART1 = fround(-0.78515625);
const PI_4_PART2 = fround(-2.4187564849853515625e-4);
const PI_4_PART3 = fround(-3.774894977445941e-8);
const SIN_P0 = fround(-1.9515295891e-4);
const SIN_P1 = fround(8.3321608736e-3);
const SIN_P2 = fround(-1.6666654611e-1);
const COS_P0 = fround(2.443315711809948e-5);
const COS_P1 = fround(-1.388731625493765e-3);
const COS_P2 = fround(4.166664568298827e-2);
/** 2^-b for b = 0..25: scales a b-bit integer into [0.5, 1). */
const INVERSE_POWERS_OF_TWO = Float64Array.from({ length: 26 }, (_, b) => 2 ** -b);

/**
 * Box–Muller over each block of 16 uniforms in [start, end): the 24-bit uniforms k (u = k / 2^24) from
 * `uniforms`, the normals to `out` (exported for its exhaustive test).
 *
 * Each value is a chain of some 30 dependent float operations. The loop works on two pairs (a and b) at
 * once, statement by statement, so the processor always has two independent chains to interleave: that
 * makes the kernel about a third faster than one pair per iteration, where most of the time goes to
 * waiting on the previous operation's result.
 */
export function boxMullerBlocks(uniforms: Int32Array, out: Float32Array, start: number, end: number): void {
  for (let block = start; block < end; block += 16) {
    for (let a = block; a < block + 8; a += 2) {
      const b = a + 1;

      // log(1 - u1): 1 - u1 = n / 2^24 with n = 2^24 - k in 1 .. 2^24, so frexp (a mantissa in [0.5, 1)
      // and an exponent) comes from the integer's bit length rather than from the float's bits.
      const nA = 16777216 - uniforms[a]!;
      const nB = 16777216 - uniforms[b]!;
      const bitsA = 32 - Math.clz32(nA);
      const bitsB = 32 - Math.clz32(nB);
      const mantissaA = nA * INVERSE_POWERS_OF_TWO[bitsA]!;
      const mantissaB = nB * INVERSE_POWERS_OF_TWO[bitsB]!;
      // Below sqrt(1/2) the mantissa is doubled (Number(boolean), not a branch: the test is random). The
      // mantissa has at most 24 significant bits, so m (float32 arithmetic in torch) is exact.
      const lowA = Number(mantissaA < SQRT_HALF);
      const lowB = Number(mantissaB < SQRT_HALF);
      const exponentA = bitsA - 24 - lowA;
      const exponentB = bitsB - 24 - lowB;
      const mA = mantissaA * (1 + lowA) - 1;
      const mB = mantissaB * (1 + lowB) - 1;
      const m2A = fround(mA * mA);
      const m2B = fround(mB * mB);
      let polyA = fround(LOG_P0 * mA + LOG_P1);
      let polyB = fround(LOG_P0 * mB + LOG_P1);
      polyA = fround(polyA * mA + LOG_P2);
      polyB = fround(polyB * mB + LOG_P2);
      polyA = fround(polyA * mA + LOG_P3);
      polyB = fround(polyB * mB + LOG_P3);
      polyA = fround(polyA * mA + LOG_P4);
      polyB = fround(polyB * mB + LOG_P4);
      polyA = fround(polyA * mA + LOG_P5);
      polyB = fround(polyB * mB + LOG_P5);
      polyA = fround(polyA * mA + LOG_P6);
      polyB = fround(polyB * mB + LOG_P6);
      polyA = fround(polyA * mA + LOG_P7);
      polyB = fround(polyB * mB + LOG_P7);
      polyA = fround(polyA * mA + LOG_P8);
      polyB = fround(polyB * mB + LOG_P8);
      polyA = fround(polyA * mA);
      polyB = fround(polyB * mB);
      let yA = fround(polyA * m2A + fround(exponentA * LN2_LOW));
      let yB = fround(polyB * m2B + fround(exponentB * LN2_LOW));
      yA = fround(-m2A * 0.5 + yA);
      yB = fround(-m2B * 0.5 + yB);
      const logA = fround(exponentA * LN2_HIGH + fround(mA + yA));
      const logB = fround(exponentB * LN2_HIGH + fround(mB + yB));
      const radiusA = fround(Math.sqrt(-2 * logA));
      const radiusB = fround(Math.sqrt(-2 * logB));

      // sincos(2*pi*u2), x >= 0. Cody–Waite reduction by the octant: x and the octant's multiples of the
      // three parts of pi/4 fit in 53 bits, so the first two sums are exact floats and the third is rounded once.
      const xA = fround(TWO_PI_OVER_2_POW_24 * uniforms[a + 8]!);
      const xB = fround(TWO_PI_OVER_2_POW_24 * uniforms[b + 8]!);
      const octantA = ((fround(xA * FOUR_OVER_PI) | 0) + 1) & ~1;
      const octantB = ((fround(xB * FOUR_OVER_PI) | 0) + 1) & ~1;
      let rA = octantA * PI_4_PART1 + xA;
      let rB = octantB * PI_4_PART1 + xB;
      rA = octantA * PI_4_PART2 + rA;
      rB = octantB * PI_4_PART2 + rB;
      rA = fround(octantA * PI_4_PART3 + rA);
      rB = fround(octantB * PI_4_PART3 + rB);
      const r2A = fround(rA * rA);
      const r2B = fround(rB * rB);
      let cosPolyA = fround(COS_P0 * r2A + COS_P1);
      let cosPolyB = fround(COS_P0 * r2B + COS_P1);
      cosPolyA = fround(cosPolyA * r2A + COS_P2);
      cosPolyB = fround(cosPolyB * r2B + COS_P2);
      cosPolyA = fround(cosPolyA * r2A);
      cosPolyB = fround(cosPolyB * r2B);
      cosPolyA = fround(cosPolyA * r2A - r2A * 0.5);
      cosPolyB = fround(cosPolyB * r2B - r2B * 0.5);
      cosPolyA = fround(cosPolyA + 1);
      cosPolyB = fround(cosPolyB + 1);
      let sinPolyA = fround(SIN_P0 * r2A + SIN_P1);
      let sinPolyB = fround(SIN_P0 * r2B + SIN_P1);
      sinPolyA = fround(sinPolyA * r2A + SIN_P2);
      sinPolyB = fround(sinPolyB * r2B + SIN_P2);
      sinPolyA = fround(sinPolyA * r2A);
      sinPolyB = fround(sinPolyB * r2B);
      sinPolyA = fround(sinPolyA * rA + rA);
      sinPolyB = fround(sinPolyB * rB + rB);

      storePair(out, a, octantA, radiusA, sinPolyA, cosPolyA);
      storePair(out, b, octantB, radiusB, sinPolyB, cosPolyB);
    }
  }
}

/**
 * out[j] = radius * cos + 0 and out[j+8] = radius * sin + 0, where the octant says which polynomial is
 * the sine and which results are negated. The octant is random, so this is integer arithmetic on its bits
 * rather than branches mispredicted half the time. radius * poly is exact in a double and so is the sign,
 * so the store rounds once, as torch's final FMA radius * value + mean (0) does; the + 0 turns -0 into +0
 * as that FMA does.
 */
function storePair(out: Float32Array, j: number, octant: number, radius: number, sinPoly: number, cosPoly: number): void {
  const swap = (octant >> 1) & 1;
  const sinNegative = (octant >> 2) & 1;
  const cosNegative = (((octant - 2) >> 2) & 1) ^ 1;
  const sinPolyNegative = sinNegative ^ (swap & (sinNegative ^ cosNegative));
  const cosPolyNegative = cosNegative ^ (swap & (sinNegative ^ cosNegative));
  out[j + 8 - 8 * swap] = radius * sinPoly * (1 - 2 * sinPolyNegative) + 0;
  out[j + 8 * swap] = radius * cosPoly * (1 - 2 * cosPolyNegative) + 0;
}
