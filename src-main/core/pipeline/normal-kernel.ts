/**
 * torch's AVX2 `normal_fill_16`, the kernel x86-64 builds run for float32 tensors of 16 or more values:
 * in each block of 16 uniforms, u1 = block[j] and u2 = block[j+8] (j < 8) make one Box–Muller pair,
 *   radius = sqrt(-2 log(1 - u1)), out[j] = radius * cos(2*pi*u2), out[j+8] = radius * sin(2*pi*u2),
 * computed in float32 with Cephes' log and sincos as avx_mathfun.h writes them and the fused multiply-adds
 * the compiler forms from them.
 *
 * Each float32 operation is a double operation rounded to float32 (fround): a product of two floats is exact
 * in a double, and a sum, difference or square root of floats rounded to double and then to float is the
 * correctly rounded float. An FMA a*b+c is emulated as fround(a*b + c). The product is exact, so this
 * rounds twice (to double, then to float), which differs from the FMA's single rounding only when the
 * double addition was inexact and its result lies exactly halfway between two floats. The radius depends
 * on u1 alone and the angle on u2 alone, each a 24-bit uniform: test/unit/pipeline/rng-kernel.test.ts runs
 * this kernel on all 2^24 values of each against an exact FMA emulation, and that case never arises, so no
 * FMA needs a slower exact path.
 *
 * The kernel runs as WebAssembly with 128-bit SIMD, built here byte by byte, and so do the refill and the
 * tempering of mt19937 that make its uniforms: each float32 operation is the double operation rounded to
 * float32 (demote and promote), two lanes at a time, the integer steps (frexp, the octant's bits) on the
 * doubles' bit patterns. Two vectors of two pairs are worked on statement by statement so the processor
 * has independent chains to interleave. A latent's worth of noise takes about a third of the time the same
 * arithmetic took in JavaScript, which matters because Euler a and LCM draw one at every step.
 */

import {
  type Code,
  add,
  addInt,
  addTo,
  and,
  f64s,
  floor,
  functionCode,
  i32,
  i32s,
  i64s,
  instantiate,
  lessThan,
  loadInts,
  loadVector,
  local,
  mul,
  name,
  negate32,
  negateInt,
  or,
  round32,
  scalar,
  section,
  select,
  setLocal,
  shiftLeft,
  shiftLeft32,
  shiftRight,
  shiftRight32,
  sqrt,
  storeFloats,
  storeVector,
  sub,
  trunc,
  vector,
  xor,
} from './wasm-code';

const fround = Math.fround;

/** avx_mathfun's constants, as float32 values. */
const SQRT_HALF = fround(Math.SQRT1_2);
const LN2_LOW = fround(-2.1219444e-4);
const LN2_HIGH = fround(0.693359375);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1,
  -2.4999993993e-1, 3.3333331174e-1,
].map(fround);
const TWO_PI_OVER_2_POW_24 = fround(2 * Math.PI) / 16777216;
const FOUR_OVER_PI = fround(1.27323954473516);
const PI_4_PART1 = fround(-0.78515625);
const PI_4_PART2 = fround(-2.4187564849853515625e-4);
const PI_4_PART3 = fround(-3.774894977445941e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(fround);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(fround);
const TWO_POW_52 = 2 ** 52;


/** Parameters: the uniforms' byte address, the normals' byte address, the number of blocks of 16. */
const PARAM_UNIFORMS = 0;
const PARAM_OUT = 1;
const PARAM_BLOCKS = 2;
const PARAMS = 3;
/** Pairs of lanes per block: 8 Box–Muller pairs, 2 per vector. */
const VECTORS = 4;
/** Vectors worked on statement by statement; more would spill the processor's 16 vector registers. */
const INTERLEAVED = 2;

/** The v128 locals of each variable of the kernel, one per vector of the block. */
const VARIABLE_NAMES = [
  ...['n', 'mantissa', 'exponent', 'm', 'm2', 'poly', 'y', 'radius'],
  ...['x', 'octant', 'r', 'r2', 'cosPoly', 'sinPoly', 'quarter', 'signs', 'swap', 'lo'],
] as const;
type Variables = Record<(typeof VARIABLE_NAMES)[number], number[]>;

/** The kernel's body for one block of 16, the vectors worked on INTERLEAVED at a time. */
function blockBody(): { code: Code; locals: number } {
  let next = PARAMS;
  const variables = Object.fromEntries(VARIABLE_NAMES.map((name) => [name, Array.from({ length: VECTORS }, () => next++)])) as Variables;
  const code: Code = [];
  for (let group = 0; group < VECTORS; group += INTERLEAVED) {
    code.push(...vectorsBody(Array.from({ length: INTERLEAVED }, (_, i) => group + i), variables));
  }
  return { code, locals: next - PARAMS };
}

/** The kernel for the given vectors of a block (vector v holds pairs 2v and 2v + 1), statement by statement. */
function vectorsBody(vectors: number[], variables: Variables): Code {
  const { n, mantissa, exponent, m, m2, poly, y, radius, x, octant, r, r2, cosPoly, sinPoly, quarter, signs, swap, lo } = variables;
  const code: Code = [];
  const each = (statement: (v: number) => Code) => {
    for (const v of vectors) code.push(...statement(v));
  };
  const get = (variableLocals: number[], v: number) => local(variableLocals[v]!);

  // log(1 - u1) with 1 - u1 = n / 2^24: n's double bits give its mantissa in [0.5, 1) and exponent.
  each((v) => setLocal(n[v]!, sub(f64s(16777216), loadInts(local(PARAM_UNIFORMS), 8 * v))));
  each((v) => setLocal(mantissa[v]!, or(and(get(n, v), i64s(0x000fffffffffffffn)), i64s(1022n << 52n))));
  // The biased exponent, e + 1023 for n = 2^e * 1.f, as a double: OR-ed under 2^52's bits, minus 2^52.
  each((v) => setLocal(exponent[v]!, sub(or(shiftRight(get(n, v), 52), i64s(0x4330000000000000n)), f64s(TWO_POW_52))));
  // Below sqrt(1/2) the mantissa doubles and the exponent drops by one: y holds that as 1.0 or 0.0 per lane.
  each((v) => setLocal(y[v]!, and(lessThan(get(mantissa, v), f64s(SQRT_HALF)), f64s(1))));
  each((v) => setLocal(exponent[v]!, sub(sub(get(exponent, v), f64s(1046)), get(y, v))));
  each((v) => setLocal(m[v]!, sub(mul(get(mantissa, v), add(f64s(1), get(y, v))), f64s(1))));
  each((v) => setLocal(m2[v]!, round32(mul(get(m, v), get(m, v)))));
  each((v) => setLocal(poly[v]!, round32(add(mul(f64s(LOG_P[0]!), get(m, v)), f64s(LOG_P[1]!)))));
  for (const coefficient of LOG_P.slice(2)) {
    each((v) => setLocal(poly[v]!, round32(add(mul(get(poly, v), get(m, v)), f64s(coefficient)))));
  }
  each((v) => setLocal(poly[v]!, round32(mul(get(poly, v), get(m, v)))));
  each((v) => setLocal(y[v]!, round32(add(mul(get(poly, v), get(m2, v)), round32(mul(get(exponent, v), f64s(LN2_LOW)))))));
  each((v) => setLocal(y[v]!, round32(add(mul(get(m2, v), f64s(-0.5)), get(y, v)))));
  each((v) => setLocal(y[v]!, round32(add(mul(get(exponent, v), f64s(LN2_HIGH)), round32(add(get(m, v), get(y, v)))))));
  each((v) => setLocal(radius[v]!, round32(sqrt(mul(get(y, v), f64s(-2))))));

  // sincos(2*pi*u2): the octant (even, 0..8) from the truncated x * 4/pi, then Cody–Waite reduction.
  each((v) => setLocal(x[v]!, round32(mul(f64s(TWO_PI_OVER_2_POW_24), loadInts(local(PARAM_UNIFORMS), 32 + 8 * v)))));
  each((v) =>
    setLocal(octant[v]!, mul(floor(mul(add(trunc(round32(mul(get(x, v), f64s(FOUR_OVER_PI)))), f64s(1)), f64s(0.5))), f64s(2))),
  );
  each((v) => setLocal(r[v]!, add(mul(get(octant, v), f64s(PI_4_PART1)), get(x, v))));
  each((v) => setLocal(r[v]!, add(mul(get(octant, v), f64s(PI_4_PART2)), get(r, v))));
  each((v) => setLocal(r[v]!, round32(add(mul(get(octant, v), f64s(PI_4_PART3)), get(r, v)))));
  each((v) => setLocal(r2[v]!, round32(mul(get(r, v), get(r, v)))));
  each((v) => setLocal(cosPoly[v]!, round32(add(mul(f64s(COS_P[0]!), get(r2, v)), f64s(COS_P[1]!)))));
  each((v) => setLocal(cosPoly[v]!, round32(add(mul(get(cosPoly, v), get(r2, v)), f64s(COS_P[2]!)))));
  each((v) => setLocal(cosPoly[v]!, round32(mul(get(cosPoly, v), get(r2, v)))));
  each((v) => setLocal(cosPoly[v]!, round32(sub(mul(get(cosPoly, v), get(r2, v)), mul(get(r2, v), f64s(0.5))))));
  each((v) => setLocal(cosPoly[v]!, round32(add(get(cosPoly, v), f64s(1)))));
  each((v) => setLocal(sinPoly[v]!, round32(add(mul(f64s(SIN_P[0]!), get(r2, v)), f64s(SIN_P[1]!)))));
  each((v) => setLocal(sinPoly[v]!, round32(add(mul(get(sinPoly, v), get(r2, v)), f64s(SIN_P[2]!)))));
  each((v) => setLocal(sinPoly[v]!, round32(mul(get(sinPoly, v), get(r2, v)))));
  each((v) => setLocal(sinPoly[v]!, round32(add(mul(get(sinPoly, v), get(r, v)), get(r, v)))));

  // The quarter q = octant / 2 as an integer in each lane's low bits (under 2^52's): bit 0 swaps sine and
  // cosine, bit 1 negates the sine, bit 1 of q + 1 the cosine; a swap also swaps the two signs.
  each((v) => setLocal(quarter[v]!, add(mul(get(octant, v), f64s(0.5)), f64s(TWO_POW_52))));
  each((v) => setLocal(swap[v]!, and(get(quarter, v), i64s(1n))));
  // signs: the sine's sign bit in bit 0, the cosine's in bit 1 (before the swap).
  each((v) => setLocal(signs[v]!, or(and(shiftRight(get(quarter, v), 1), i64s(1n)), and(addInt(get(quarter, v), i64s(1n)), i64s(2n)))));
  // A swap exchanges the two bits: xor each with (sine ^ cosine) when swapping.
  each((v) =>
    setLocal(
      signs[v]!,
      xor(get(signs, v), mul3(and(xor(get(signs, v), shiftRight(get(signs, v), 1)), get(swap, v)))),
    ),
  );
  each((v) => setLocal(swap[v]!, negateInt(get(swap, v))));
  each((v) =>
    setLocal(sinPoly[v]!, add(xor(mul(get(radius, v), get(sinPoly, v)), shiftLeft(get(signs, v), 63)), f64s(0))),
  );
  each((v) =>
    setLocal(
      cosPoly[v]!,
      add(xor(mul(get(radius, v), get(cosPoly, v)), shiftLeft(shiftRight(get(signs, v), 1), 63)), f64s(0)),
    ),
  );
  each((v) => setLocal(lo[v]!, select(get(sinPoly, v), get(cosPoly, v), get(swap, v))));
  each((v) => storeFloats(local(PARAM_OUT), 8 * v, get(lo, v)));
  each((v) => storeFloats(local(PARAM_OUT), 32 + 8 * v, select(get(cosPoly, v), get(sinPoly, v), get(swap, v))));
  return code;
}

/** bit * 3: a one-bit value copied to bits 0 and 1. */
function mul3(bit: Code): Code {
  return or(bit, shiftLeft(bit, 1));
}

const STATE_SIZE = 624;
const SHIFT_SIZE = 397;
const UPPER_MASK = 0x80000000 | 0;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df | 0;

/**
 * mt[i] = mt[i + 397 mod 624] ^ twisted(mt[i], mt[i + 1 mod 624]) for four consecutive words (vectorised)
 * or one: `at`, `next` and `far` are the byte offsets of mt[i], mt[i + 1] and mt[i + 397 mod 624] from the
 * address in local `base`.
 */
function twistStep(vectorised: boolean, base: number, at: number, next: number, far: number): Code {
  const address = local(base);
  if (vectorised) {
    const y = or(and(loadVector(address, at), i32s(UPPER_MASK)), and(loadVector(address, next), i32s(LOWER_MASK)));
    const twisted = xor(shiftRight32(y, 1), and(negate32(and(y, i32s(1))), i32s(MATRIX_A)));
    return storeVector(address, at, xor(loadVector(address, far), twisted));
  }
  const y = scalar.or(scalar.and(scalar.load(address, at), i32(UPPER_MASK)), scalar.and(scalar.load(address, next), i32(LOWER_MASK)));
  const twisted = scalar.xor(scalar.shiftRight(y, 1), scalar.and(scalar.negate(scalar.and(y, i32(1))), i32(MATRIX_A)));
  return scalar.store(address, at, scalar.xor(scalar.load(address, far), twisted));
}

/**
 * twist(state): the refill of all 624 words (parameter 0 is the state's address), four at a time where the
 * words a vector reads are all either not yet refilled (i + 1 .. i + 4, i + 397 ..) or already refilled
 * (i - 227 ..), one at a time at the seams. Local 1 walks the state.
 */
function twistBody(): Code {
  const code: Code = [];
  // Vectors for words [from, from + count), local 1 pointing `lead` words before mt[i] (memory offsets are
  // unsigned, so it points at the lowest word read).
  const vectors = (from: number, count: number, lead: number, farWords: number) => {
    const start = 4 * (from - lead);
    code.push(...setLocal(1, [...local(0), ...i32(start), 0x6a]));
    code.push(0x03, 0x40, ...twistStep(true, 1, 4 * lead, 4 * (lead + 1), 4 * (lead + farWords)));
    code.push(...addTo(1, 16), ...local(1), ...local(0), ...i32(start + 4 * count), 0x6a, 0x47, 0x0d, 0, 0x0b);
  };
  const word = (i: number) =>
    code.push(...twistStep(false, 0, 4 * i, 4 * ((i + 1) % STATE_SIZE), 4 * ((i + SHIFT_SIZE) % STATE_SIZE)));
  const firstEnd = STATE_SIZE - SHIFT_SIZE;
  // A vector's last word reads mt[i + 4], which must not yet be refilled: the first run stops short of 227.
  const firstVectors = Math.floor((firstEnd - 1) / 4) * 4;
  vectors(0, firstVectors, 0, SHIFT_SIZE);
  for (let i = firstVectors; i < firstEnd; i++) word(i);
  const secondVectors = Math.floor((STATE_SIZE - 1 - firstEnd) / 4) * 4;
  vectors(firstEnd, secondVectors, firstEnd, -firstEnd);
  for (let i = firstEnd + secondVectors; i < STATE_SIZE; i++) word(i);
  return code;
}

/**
 * temper(state, out, count): torch's uniform_real_distribution<float> draws k / 2^24 from the low 24 bits
 * of each tempered word; this stores k for `count` words from `state` (parameter 0) to `out` (parameter 1),
 * four at a time, rounding count up to a multiple of 4 (callers leave room for the extra words).
 */
function temperBody(): Code {
  const y = 3;
  const step = (value: Code) => setLocal(y, value);
  return [
    0x02, 0x40,
    ...local(2), 0x45, 0x0d, 0,
    0x03, 0x40,
    ...step(loadVector(local(0), 0)),
    ...step(xor(local(y), shiftRight32(local(y), 11))),
    ...step(xor(local(y), and(shiftLeft32(local(y), 7), i32s(0x9d2c5680 | 0)))),
    ...step(xor(local(y), and(shiftLeft32(local(y), 15), i32s(0xefc60000 | 0)))),
    ...step(xor(local(y), shiftRight32(local(y), 18))),
    ...storeVector(local(1), 0, and(local(y), i32s(0xffffff))),
    ...addTo(0, 16),
    ...addTo(1, 16),
    // count = max(count - 4, 0); loop while it is above 0
    ...setLocal(2, [...local(2), ...i32(4), 0x6b]),
    ...local(2), ...i32(0), 0x4a, 0x0d, 0,
    0x0b,
    0x0b,
  ];
}


/** (i32 address, i32 address, i32 count) -> () and (i32 address) -> (). */
const TYPE_THREE_ADDRESSES = 0;
const TYPE_ONE_ADDRESS = 1;

function moduleBytes(): Uint8Array {
  const { code: block, locals } = blockBody();
  // normals(uniforms, out, blocks): block; if blocks == 0 leave; loop: body; advance; blocks -= 1; continue while blocks != 0
  const normals: Code = [
    0x02, 0x40,
    ...local(PARAM_BLOCKS), 0x45, 0x0d, 0,
    0x03, 0x40,
    ...block,
    ...addTo(PARAM_UNIFORMS, 64),
    ...addTo(PARAM_OUT, 64),
    ...setLocal(PARAM_BLOCKS, [...local(PARAM_BLOCKS), ...i32(1), 0x6b]),
    ...local(PARAM_BLOCKS), 0x0d, 0,
    0x0b,
    0x0b,
  ];
  const I32 = 0x7f;
  const V128 = 0x7b;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([
      [0x60, ...vector([[I32], [I32], [I32]]), ...vector([])],
      [0x60, ...vector([[I32]]), ...vector([])],
    ])),
    ...section(3, vector([[TYPE_THREE_ADDRESSES], [TYPE_THREE_ADDRESSES], [TYPE_ONE_ADDRESS]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([
      [...name('normals'), 0x00, 0],
      [...name('temper'), 0x00, 1],
      [...name('twist'), 0x00, 2],
      [...name('memory'), 0x02, 0],
    ])),
    ...section(10, vector([
      functionCode([[locals, V128]], normals),
      functionCode([[1, V128]], temperBody()),
      functionCode([[1, I32]], twistBody()),
    ])),
  ]);
}


interface Kernel {
  normals: (uniforms: number, out: number, blocks: number) => void;
  temper: (state: number, out: number, count: number) => void;
  twist: (state: number) => void;
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

let kernel: Kernel | undefined;

/** The kernel, with room in its memory for the state and `count` uniforms and normals. */
function instance(count: number): Kernel {
  if (kernel === undefined) {
    kernel = instantiate(moduleBytes()) as Kernel;
  }
  const needed = normalsAddress(count) + 4 * count;
  const { memory } = kernel;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
  return kernel;
}

/** Memory layout: the state (with room for temper's reads past its end), the uniforms, the normals. */
const STATE_ADDRESS = 0;
const UNIFORMS_ADDRESS = 4 * STATE_SIZE + 64;
const normalsAddress = (count: number) => UNIFORMS_ADDRESS + 4 * count + 64;

/**
 * torch's CPU `normal_fill` on an mt19937 state at word `index`: uniforms for all of `out`, then Box–Muller
 * over blocks of 16; when the length is not a multiple of 16, torch draws the last 16 uniforms again and
 * redoes the last 16 values (overlapping the previous block) rather than a short block. Returns the
 * state's new index; the state is updated in place.
 */
export function normalFill(state: Int32Array, index: number, out: Float32Array): number {
  const count = out.length;
  const { normals, temper, twist, memory } = instance(count);
  const words = new Int32Array(memory.buffer, STATE_ADDRESS, STATE_SIZE);
  words.set(state);
  const draw = (start: number, end: number) => {
    for (let i = start; i < end; ) {
      if (index === STATE_SIZE) {
        twist(STATE_ADDRESS);
        index = 0;
      }
      const chunk = Math.min(end - i, STATE_SIZE - index);
      temper(STATE_ADDRESS + 4 * index, UNIFORMS_ADDRESS + 4 * i, chunk);
      i += chunk;
      index += chunk;
    }
  };
  const whole = count - (count % 16);
  draw(0, count);
  normals(UNIFORMS_ADDRESS, normalsAddress(count), whole / 16);
  if (whole !== count) {
    draw(count - 16, count);
    normals(UNIFORMS_ADDRESS + 4 * (count - 16), normalsAddress(count) + 4 * (count - 16), 1);
  }
  out.set(new Float32Array(memory.buffer, normalsAddress(count), count));
  state.set(words);
  return index;
}

/**
 * Box–Muller alone over each block of 16 uniforms in [start, end): the 24-bit uniforms k (u = k / 2^24)
 * from `uniforms`, the normals to `out` (for the kernel's exhaustive test).
 */
export function boxMullerBlocks(uniforms: Int32Array, out: Float32Array, start: number, end: number): void {
  const count = end - start;
  if (count <= 0) return;
  const { normals, memory } = instance(count);
  new Int32Array(memory.buffer, UNIFORMS_ADDRESS, count).set(uniforms.subarray(start, end));
  normals(UNIFORMS_ADDRESS, normalsAddress(count), count / 16);
  out.set(new Float32Array(memory.buffer, normalsAddress(count), count), start);
}
