/**
 * The float16 conversions of a denoising step as WebAssembly with 128-bit SIMD: the latents to float16 for
 * a float16 UNet, and the UNet's float16 rows back to float32 with the guidance combined on the way. Both
 * give exactly what the JavaScript ones in runtime/float16.ts and latents.ts give (float16-kernel.test.ts
 * checks every rounding case), in about a quarter of their time, which at 2x4x64x64 is most of what a
 * float16 model's step costs outside ONNX Runtime.
 *
 * To float16, eight values a step: a float16 normal is rebiased and rounded to nearest even on its
 * dropped 13 bits by adding just under half a unit plus the kept lowest bit (as float32ToFloat16 does); a
 * float16 subnormal or zero is |x| + 0.5 in float32, whose rounding is the float16 one (0.5's unit is
 * 2^-24), less 0.5's bits; infinities, overflow and NaN are picked by comparing magnitudes.
 * From float16, four values a step: the 15 magnitude bits shifted into a float32's place and multiplied
 * by 2^112 rebias a normal and make a subnormal normal, exactly; infinities and NaN get the full exponent.
 * The guidance is computed in doubles and rounded to float32, as JavaScript computes it.
 */
import {
  type Code,
  addTo,
  and,
  functionCode,
  i32,
  i32s,
  instantiate,
  loadVector,
  local,
  name,
  or,
  section,
  select,
  setLocal,
  shiftLeft32,
  shiftRight32,
  simd,
  storeVector,
  uleb,
  vector,
} from './wasm-code';
import { float32ToFloat16 } from '../runtime/float16';
import { combineGuidanceFloat16 } from './latents';

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

const addInts = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xae)];
const subInts = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xb1)];
const lessThanInts = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x39)];
const greaterThanInts = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x3b)];
const narrowToUint16 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x86)];
const addFloats = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
const mulFloats = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
const addDoubles = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf0)];
const subDoubles = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf1)];
const mulDoubles = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf2)];
/** Lanes 0 and 1 of a float32 vector as doubles. */
const promoteLow = (a: Code): Code => [...a, ...simd(0x5f)];
/** Lanes 2 and 3 moved to 0 and 1. */
const highHalf = (a: Code): Code => [...a, ...a, ...simd(0x0d), 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** Four uint16 at the address as int32 lanes. */
const loadUint16x4 = (address: Code): Code => [...address, ...simd(0x5d), 1, 0, ...simd(0xa9)];
/** Both double lanes rounded to float32 and stored at `offset` bytes past the address. */
const storeAsFloats = (address: Code, offset: number, value: Code): Code => [
  ...address,
  ...value,
  ...simd(0x5e),
  ...simd(0x5b),
  3,
  ...uleb(offset),
  0,
];
const splatDouble = (value: Code): Code => [...value, ...simd(0x14)];
const whileNonZero = (counter: number, body: Code): Code => [
  0x02, 0x40, ...local(counter), 0x45, 0x0d, 0,
  0x03, 0x40, ...body,
  ...setLocal(counter, [...local(counter), ...i32(1), 0x6b]),
  ...local(counter), 0x0d, 0,
  0x0b, 0x0b,
];

/** toHalf(floats, halves, blocks): 8 float32 values a block to float16 bit patterns. Locals 3..: v128. */
function toHalfBody(): Code {
  const [word, magnitude, rounded] = [3, 4, 5];
  const one = (offset: number): Code => [
    ...setLocal(word, loadVector(local(0), offset)),
    ...setLocal(magnitude, and(local(word), i32s(0x7fffffff))),
    ...setLocal(rounded, shiftRight32(addInts(subInts(local(magnitude), i32s(0x37fff001)), and(shiftRight32(local(magnitude), 13), i32s(1))), 13)),
    ...setLocal(
      rounded,
      select(subInts(addFloats(local(magnitude), i32s(0x3f000000)), i32s(0x3f000000)), local(rounded), lessThanInts(local(magnitude), i32s(0x38800000))),
    ),
    ...setLocal(
      rounded,
      select(
        select(or(i32s(0x7e00), shiftRight32(and(local(magnitude), i32s(0x7fffff)), 13)), i32s(0x7c00), greaterThanInts(local(magnitude), i32s(0x7f800000))),
        local(rounded),
        greaterThanInts(local(magnitude), i32s(0x477fffff)),
      ),
    ),
    ...or(local(rounded), and(shiftRight32(local(word), 16), i32s(0x8000))),
  ];
  const block: Code = [...storeVector(local(1), 0, narrowToUint16(one(0), one(16))), ...addTo(0, 32), ...addTo(1, 16)];
  return whileNonZero(2, block);
}

/** A float16 bit pattern in each int32 lane as the float32 it is. */
function halfToFloat(halves: Code, local16: number): Code {
  const magnitude = shiftLeft32(and(local(local16), i32s(0x7fff)), 13);
  return [
    ...setLocal(local16, halves),
    ...or(
      select(or(magnitude, i32s(0x7f800000)), mulFloats(magnitude, i32s(0x77800000)), greaterThanInts(and(local(local16), i32s(0x7fff)), i32s(0x7bff))),
      shiftLeft32(and(local(local16), i32s(0x8000)), 16),
    ),
  ];
}

/**
 * guide(uncond, cond, out, blocks, scale): 4 values a block, out = u + scale * (c - u) from float16 rows.
 * Locals 5..: v128.
 */
function guideBody(): Code {
  const [scale, u, c, uHalf, cHalf] = [5, 6, 7, 8, 9];
  const guided = (uncond: Code, cond: Code) => addDoubles(uncond, mulDoubles(local(scale), subDoubles(cond, uncond)));
  const block: Code = [
    ...setLocal(u, halfToFloat(loadUint16x4(local(0)), uHalf)),
    ...setLocal(c, halfToFloat(loadUint16x4(local(1)), cHalf)),
    ...storeAsFloats(local(2), 0, guided(promoteLow(local(u)), promoteLow(local(c)))),
    ...storeAsFloats(local(2), 8, guided(promoteLow(highHalf(local(u))), promoteLow(highHalf(local(c))))),
    ...addTo(0, 8),
    ...addTo(1, 8),
    ...addTo(2, 16),
  ];
  return [...setLocal(scale, splatDouble(local(4))), ...whileNonZero(3, block)];
}

function moduleBytes(): Uint8Array {
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([
      [0x60, ...vector([[I32], [I32], [I32]]), ...vector([])],
      [0x60, ...vector([[I32], [I32], [I32], [I32], [F64]]), ...vector([])],
    ])),
    ...section(3, vector([[0], [1]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([
      [...name('toHalf'), 0x00, 0],
      [...name('guide'), 0x00, 1],
      [...name('memory'), 0x02, 0],
    ])),
    ...section(10, vector([functionCode([[3, V128]], toHalfBody()), functionCode([[5, V128]], guideBody())])),
  ]);
}

interface Kernel {
  toHalf: (floats: number, halves: number, blocks: number) => void;
  guide: (uncond: number, cond: number, out: number, blocks: number, scale: number) => void;
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

let kernel: Kernel | undefined;

function instance(bytes: number): Kernel {
  kernel ??= instantiate(moduleBytes()) as Kernel;
  const { memory } = kernel;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  return kernel;
}

/** float32ToFloat16 (runtime/float16.ts) into `out`, the same bits. */
export function toFloat16(values: Float32Array, out: Uint16Array): Uint16Array {
  const n = values.length;
  const blocks = n >>> 3;
  const done = blocks * 8;
  const { toHalf, memory } = instance(n * 6);
  new Float32Array(memory.buffer, 0, n).set(values);
  toHalf(0, n * 4, blocks);
  out.set(new Uint16Array(memory.buffer, n * 4, done));
  if (done < n) float32ToFloat16(values.subarray(done), out.subarray(done, n));
  return out;
}

/** combineGuidanceFloat16 (latents.ts): uncond + scale * (cond - uncond) from float16 rows, the same values. */
export function guideFromFloat16(uncond: Uint16Array, cond: Uint16Array, scale: number, out: Float32Array): Float32Array {
  const n = out.length;
  const blocks = n >>> 2;
  const done = blocks * 4;
  const { guide, memory } = instance(n * 8);
  new Uint16Array(memory.buffer, 0, n).set(uncond.subarray(0, n));
  new Uint16Array(memory.buffer, n * 2, n).set(cond.subarray(0, n));
  guide(0, n * 2, n * 4, blocks, scale);
  out.set(new Float32Array(memory.buffer, n * 4, done));
  if (done < n) combineGuidanceFloat16(uncond.subarray(done, n), cond.subarray(done, n), scale, out.subarray(done));
  return out;
}
