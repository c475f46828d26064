/**
 * IEEE 754 binary16 <-> binary32 conversion. ONNX Runtime's JavaScript API hands float16 tensors over as raw
 * 16-bit patterns, so the session wrapper converts what it is fed and gives back: it must be exact (round
 * to nearest, ties to even; subnormals; infinities; NaN) and cheap on arrays of a few hundred thousand.
 * A denoising step's own conversions run as WebAssembly (pipeline/float16-kernel.ts), checked against these.
 */

/**
 * Converts float32 values to float16 bit patterns, rounding to nearest with ties to even, into `out` when
 * given (a buffer kept across denoising steps) or a new array.
 */
export function float32ToFloat16(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const word = bits[i]!;
    const magnitude = word & 0x7fffffff;
    // Normal in float16, 2^-14 <= |x| < 2^16 (latents and embeddings nearly always are): rebias the
    // exponent and round on the 13 dropped bits by adding just under half a unit plus the kept lowest
    // bit, without a branch (the rounding direction is random, so a branch is mispredicted half the
    // time). A carry moves into the exponent, up to infinity from 65520.
    if (((magnitude - 0x38800000) >>> 0) < 0x0f000000) {
      out[i] = ((word >>> 16) & 0x8000) | ((magnitude - 0x37fff001 + ((magnitude >>> 13) & 1)) >>> 13);
    } else {
      out[i] = float32BitsToFloat16Bits(word >>> 0);
    }
  }
  return out;
}

/** The float16 bit pattern nearest to one float32 value. */
export function toFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  return float32BitsToFloat16Bits(scratchBits[0]!);
}

/**
 * Converts float16 bit patterns to float32 values (every float16 value is exactly representable), into
 * `out` when given or a new array.
 */
export function float16ToFloat32(halves: Uint16Array, out: Float32Array = new Float32Array(halves.length)): Float32Array {
  const words = new Int32Array(out.buffer, out.byteOffset, halves.length);
  const table = halfToFloatBitsTable();
  for (let i = 0; i < halves.length; i++) {
    const half = halves[i]!;
    const exponent = half & 0x7c00;
    // A normal value's float32 bits are its own shifted into place with the exponent rebiased (112 << 23);
    // zeros, subnormals, infinities and NaN come from the table.
    words[i] = exponent !== 0 && exponent !== 0x7c00 ? ((half & 0x8000) << 16) | (((half & 0x7fff) + 0x1c000) << 13) : table[half]!;
  }
  return out;
}

/** The float32 value of one float16 bit pattern. */
export function fromFloat16Bits(half: number): number {
  return halfToFloatTable()[half & 0xffff]!;
}

/**
 * The float32 value of every float16 bit pattern, indexed by the pattern: for loops that read float16 data
 * and compute with it at once (256 KiB, which stays in the processor's cache).
 */
export function float16Values(): Float32Array {
  return halfToFloatTable();
}

/** Whether any of these float16 bit patterns is an infinity or NaN. */
export function hasNonFiniteFloat16(halves: Uint16Array): boolean {
  for (let i = 0; i < halves.length; i++) {
    if ((halves[i]! & 0x7c00) === 0x7c00) return true;
  }
  return false;
}

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    // Infinity keeps a zero mantissa; NaN stays a (quiet) NaN whatever its payload.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }

  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;

  if (halfExponent >= 1) {
    const truncated = (halfExponent << 10) | (mantissa >>> 13);
    const remainder = mantissa & 0x1fff;
    // A carry out of the mantissa moves into the exponent, which is the correct rounding (up to infinity).
    const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (truncated & 1) === 1);
    return sign | (truncated + (roundUp ? 1 : 0));
  }

  // Subnormal or zero in float16: the value is (implicit 1 + mantissa) * 2^(exponent - 150), counted in
  // units of 2^-24.
  const shift = 126 - exponent;
  if (shift > 25) return sign;
  const full = 0x800000 | mantissa;
  const truncated = full >>> shift;
  const remainder = full & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  const roundUp = remainder > halfway || (remainder === halfway && (truncated & 1) === 1);
  return sign | (truncated + (roundUp ? 1 : 0));
}

let table: Float32Array | undefined;
let bitsTable: Int32Array | undefined;

function halfToFloatBitsTable(): Int32Array {
  bitsTable ??= new Int32Array(halfToFloatTable().buffer);
  return bitsTable;
}

function halfToFloatTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let half = 0; half < 65536; half++) {
    const sign = half & 0x8000 ? -1 : 1;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0) table[half] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) table[half] = mantissa === 0 ? sign * Infinity : NaN;
    else table[half] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}
