/**
 * Just enough of WebAssembly's binary format to write the generator's kernels (normal-kernel.ts) as code:
 * instructions as byte arrays that compose like expressions (operands first, then the opcode), the
 * sections of a module, and instantiating one. Opcodes are the core and 128-bit SIMD specifications'.
 */
export type Code = number[];

export function uleb(value: number): Code {
  const bytes: Code = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

export function sleb(value: number): Code {
  const bytes: Code = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

export const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
export const local = (index: number): Code => [0x20, ...uleb(index)];
export const setLocal = (index: number, value: Code): Code => [...value, 0x21, ...uleb(index)];
export const i32 = (value: number): Code => [0x41, ...sleb(value)];

export function v128Const(bytes: Uint8Array): Code {
  return [...simd(0x0c), ...bytes];
}
export const f64s = (value: number): Code => v128Const(new Uint8Array(Float64Array.of(value, value).buffer));
export const i64s = (value: bigint): Code => v128Const(new Uint8Array(BigInt64Array.of(value, value).buffer));

export const add = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf0)];
export const sub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf1)];
export const mul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf2)];
export const sqrt = (a: Code): Code => [...a, ...simd(0xef)];
export const trunc = (a: Code): Code => [...a, ...simd(0x7a)];
export const floor = (a: Code): Code => [...a, ...simd(0x75)];
export const lessThan = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x49)];
export const and = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4e)];
export const or = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x50)];
export const xor = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x51)];
/** Lanes of a where the mask is set, of b elsewhere. */
export const select = (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)];
export const shiftRight = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xcd)];
export const shiftLeft = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xcb)];
export const addInt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xce)];
export const negateInt = (a: Code): Code => [...a, ...simd(0xc1)];
/** i32x4 and scalar i32 operations for mt19937. */
export const shiftRight32 = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xad)];
export const shiftLeft32 = (a: Code, bits: number): Code => [...a, ...i32(bits), ...simd(0xab)];
export const negate32 = (a: Code): Code => [...a, ...simd(0xa1)];
export const i32s = (value: number): Code => v128Const(new Uint8Array(Int32Array.of(value, value, value, value).buffer));
export const loadVector = (address: Code, offset: number): Code => [...address, ...simd(0x00), 4, ...uleb(offset)];
export const storeVector = (address: Code, offset: number, value: Code): Code => [...address, ...value, ...simd(0x0b), 4, ...uleb(offset)];
export const scalar = {
  and: (a: Code, b: Code): Code => [...a, ...b, 0x71],
  or: (a: Code, b: Code): Code => [...a, ...b, 0x72],
  xor: (a: Code, b: Code): Code => [...a, ...b, 0x73],
  shiftRight: (a: Code, bits: number): Code => [...a, ...i32(bits), 0x76],
  negate: (a: Code): Code => [...i32(0), ...a, 0x6b],
  load: (address: Code, offset: number): Code => [...address, 0x28, 2, ...uleb(offset)],
  store: (address: Code, offset: number, value: Code): Code => [...address, ...value, 0x36, 2, ...uleb(offset)],
};
export const addTo = (index: number, amount: number): Code => setLocal(index, [...local(index), ...i32(amount), 0x6a]);

/** Rounds both double lanes to float32 and back: Math.fround. */
export const round32 = (a: Code): Code => [...a, ...simd(0x5e), ...simd(0x5f)];
/** Two int32 at `offset` bytes past the address on the stack, as double lanes. */
export const loadInts = (address: Code, offset: number): Code => [...address, ...simd(0x5d), 3, ...uleb(offset), ...simd(0xfe)];
/** Stores both double lanes as float32 at `offset` bytes past the address. */
export const storeFloats = (address: Code, offset: number, value: Code): Code => [...address, ...value, ...simd(0x5e), ...simd(0x5b), 3, ...uleb(offset), 0];

export function section(id: number, contents: Code): Code {
  return [id, ...uleb(contents.length), ...contents];
}

export function vector(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

export function name(text: string): Code {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

export function functionCode(locals: Array<[count: number, type: number]>, instructions: Code): Code {
  const body = [...vector(locals.map(([count, type]) => [...uleb(count), type])), ...instructions, 0x0b];
  return [...uleb(body.length), ...body];
}

/** The part of the WebAssembly API used here (the main process's TypeScript library has no types for it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** Compiles and instantiates a module that imports nothing, returning its exports. */
export function instantiate(bytes: Uint8Array): unknown {
  const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  return new Instance(new Module(bytes)).exports;
}
