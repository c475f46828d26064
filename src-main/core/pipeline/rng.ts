import { EaselError } from '../errors';
import { normalFill } from './normal-kernel';

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

  /** torch's `normal_fill` (see normal-kernel.ts), continuing this generator's stream. */
  private normalFill(length: number): Float32Array {
    const data = new Float32Array(length);
    this.index = normalFill(this.state, this.index, data);
    return data;
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
