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
 * The kernel runs as a WebAssembly function with 128-bit SIMD, built here byte by byte: each float32
 * operation is the double operation rounded to float32 (demote and promote), two lanes at a time, the
 * integer steps (frexp, the octant's bits) on the doubles' bit patterns. Two vectors of two pairs are worked
 * on statement by statement so the processor has independent chains to interleave. It is about twice as
 * fast as the same arithmetic in JavaScript, which matters because Euler a and LCM draw a latent's worth of
 * noise at every step.
 */

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

type Code = number[];

function uleb(value: number): Code {
  const bytes: Code = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function sleb(value: number): Code {
  const bytes: Code = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
const local = (index: number): Code => [0x20, ...uleb(index)];
const setLocal = (index: number, value: Code): Code => [...value, 0x21, ...uleb(index)];
const i32 = (value: number): Code => [0x41, ...sleb(value)];

function v128Const(bytes: Uint8Array): Code {
  return [...simd(0x0c), ...bytes];
}
const f64s = (value: number): Code => v128Const(new Uint8Array(Float64Array.of(value, value).buffer));
const i64s = (value: bigint): Code => v128Const(new Uint8Array(BigInt64Array.of(value, value).buffer));

const add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf0)];
const sub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf1)];
const mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf2)];
const sqrt = (a: Code): Code => [...a, ...simd(0xef)];
const trunc = (a: Code): Code => [...a, ...simd(0x7a)];
const floor = (a: Code): Code => [...a, ...simd(0x75)];
const lessThan = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x49)];
const and = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4e)];
const or = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x50)];
const xor = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x51)];
/** Lanes of a where the mask is set, of b elsewhere. */
const select = (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)];
const shiftRight = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xcd)];
const shiftLeft = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xcb)];
const addInt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xce)];
const negateInt = (a: Code): Code => [...a, ...simd(0xc1)];
/** Rounds both double lanes to float32 and back: Math.fround. */
const round32 = (a: Code): Code => [...a, ...simd(0x5e), ...simd(0x5f)];
/** Two int32 at `offset` bytes past the address on the stack, as double lanes. */
const loadInts = (address: Code, offset: number): Code => [...address, ...simd(0x5d), 3, ...uleb(offset), ...simd(0xfe)];
/** Stores both double lanes as float32 at `offset` bytes past the address. */
const storeFloats = (address: Code, offset: number, value: Code): Code => [...address, ...value, ...simd(0x5e), ...simd(0x5b), 3, ...uleb(offset), 0];

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

function section(id: number, contents: Code): Code {
  return [id, ...uleb(contents.length), ...contents];
}

function vector(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): Code {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function moduleBytes(): Uint8Array {
  const { code: body, locals } = blockBody();
  const advance = (param: number) => setLocal(param, [...local(param), ...i32(64), 0x6a]);
  const instructions: Code = [
    // block; if blocks == 0 leave; loop: body; advance; blocks -= 1; continue while blocks != 0
    0x02, 0x40,
    ...local(PARAM_BLOCKS), 0x45, 0x0d, 0,
    0x03, 0x40,
    ...body,
    ...advance(PARAM_UNIFORMS),
    ...advance(PARAM_OUT),
    ...setLocal(PARAM_BLOCKS, [...local(PARAM_BLOCKS), ...i32(1), 0x6b]),
    ...local(PARAM_BLOCKS), 0x0d, 0,
    0x0b,
    0x0b,
    0x0b,
  ];
  const functionBody = [...vector([[...uleb(locals), 0x7b]]), ...instructions];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector([[0x7f], [0x7f], [0x7f]]), ...vector([])]])),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...name('normals'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vector([[...uleb(functionBody.length), ...functionBody]])),
  ]);
}

/** The part of the WebAssembly API used here (the main process's TypeScript library has no types for it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

interface Kernel {
  normals: (uniforms: number, out: number, blocks: number) => void;
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

let kernel: Kernel | undefined;

function instance(): Kernel {
  if (kernel === undefined) {
    const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    kernel = new Instance(new Module(moduleBytes())).exports as Kernel;
  }
  return kernel;
}

/**
 * Box–Muller over each block of 16 uniforms in [start, end): the 24-bit uniforms k (u = k / 2^24) from
 * `uniforms`, the normals to `out`.
 */
export function boxMullerBlocks(uniforms: Int32Array, out: Float32Array, start: number, end: number): void {
  const count = end - start;
  if (count <= 0) return;
  const { normals, memory } = instance();
  const bytes = count * 4;
  const needed = 2 * bytes;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
  new Int32Array(memory.buffer, 0, count).set(uniforms.subarray(start, end));
  normals(0, bytes, count / 16);
  out.set(new Float32Array(memory.buffer, bytes, count), start);
}
