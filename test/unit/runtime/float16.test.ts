import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from '../../../src-main/core/runtime/float16';

const bits = (values: number[]) => Array.from(float32ToFloat16(Float32Array.from(values)));

describe('float32 -> float16', () => {
  it('converts exact values, signed zeros and infinities', () => {
    expect(bits([0, -0, 1, -2, 0.5, 65504, -65504])).toEqual([0x0000, 0x8000, 0x3c00, 0xc000, 0x3800, 0x7bff, 0xfbff]);
    expect(bits([Infinity, -Infinity, 1e6, -1e6])).toEqual([0x7c00, 0xfc00, 0x7c00, 0xfc00]);
  });

  it('rounds to nearest with ties to even, overflowing to infinity only past 65520', () => {
    expect(bits([1 + 2 ** -11])).toEqual([0x3c00]); // tie: 1.0 is even
    expect(bits([1 + 3 * 2 ** -11])).toEqual([0x3c02]); // tie: 1+2^-9 is even
    expect(bits([1 + 2 ** -11 + 2 ** -20])).toEqual([0x3c01]); // just past the tie
    expect(bits([2049, 2051])).toEqual([0x6800, 0x6802]);
    expect(bits([65519.99])).toEqual([0x7bff]);
    expect(bits([65520])).toEqual([0x7c00]);
  });

  it('produces subnormals and rounds them correctly', () => {
    expect(bits([2 ** -24, 1023 * 2 ** -24, 2 ** -14])).toEqual([0x0001, 0x03ff, 0x0400]);
    expect(bits([2 ** -25])).toEqual([0x0000]); // tie with zero: zero is even
    expect(bits([Math.fround(2 ** -25 * (1 + 2 ** -23))])).toEqual([0x0001]);
    expect(bits([3 * 2 ** -25])).toEqual([0x0002]); // tie between 1 and 2 units: 2 is even
    expect(bits([-(2 ** -24), 1e-10, -1e-10])).toEqual([0x8001, 0x0000, 0x8000]);
    expect(bits([2047 * 2 ** -25])).toEqual([0x0400]); // rounds up out of the subnormal range
  });

  it('keeps NaN a NaN', () => {
    const [half] = bits([NaN]);
    expect(half! & 0x7c00).toBe(0x7c00);
    expect(half! & 0x03ff).not.toBe(0);
    expect(Number.isNaN(fromFloat16Bits(half!))).toBe(true);
  });

  it('picks the nearest float16 for arbitrary values', () => {
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const worse: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const value = Math.fround((random() - 0.5) * 2 ** (random() * 40 - 24));
      const half = toFloat16Bits(value);
      const error = Math.abs(fromFloat16Bits(half) - value);
      for (const neighbour of [half - 1, half + 1]) {
        if ((neighbour & 0x7fff) >= 0x7c00 || (half & 0x7fff) === 0) continue;
        if (Math.abs(fromFloat16Bits(neighbour) - value) < error) worse.push(value);
      }
    }
    expect(worse).toEqual([]);
  });
});

describe('float32 -> float16 on whole arrays', () => {
  it('agrees with the value-by-value conversion at every rounding boundary of every exponent and sign', () => {
    // Each float32 with its top 19 bits (sign, exponent, kept mantissa) taken in turn, and the 13 dropped
    // bits at zero, just below, at and just above the tie and at their largest.
    const dropped = [0, 1, 0x0fff, 0x1000, 0x1001, 0x1fff];
    const words = new Uint32Array(2 ** 19 * dropped.length);
    for (let top = 0; top < 2 ** 19; top++) {
      for (let d = 0; d < dropped.length; d++) words[top * dropped.length + d] = ((top << 13) | dropped[d]!) >>> 0;
    }
    const values = new Float32Array(words.buffer);
    const halves = float32ToFloat16(values, new Uint16Array(values.length));
    const mismatches: string[] = [];
    for (let i = 0; i < values.length && mismatches.length < 5; i++) {
      if (Number.isNaN(values[i]!)) continue;
      if (halves[i] !== toFloat16Bits(values[i]!)) mismatches.push(words[i]!.toString(16));
    }
    expect(mismatches).toEqual([]);
  });

  it('writes into the buffer it is given', () => {
    const out = new Uint16Array(3);
    expect(float32ToFloat16(Float32Array.from([1, -2, 0.5]), out)).toBe(out);
    expect(Array.from(out)).toEqual([0x3c00, 0xc000, 0x3800]);
    const floats = new Float32Array(3);
    expect(float16ToFloat32(out, floats)).toBe(floats);
    expect(Array.from(floats)).toEqual([1, -2, 0.5]);
  });
});

describe('float16 -> float32', () => {
  it('round-trips every float16 bit pattern exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const floats = float16ToFloat32(all);
    const back = float32ToFloat16(floats);
    const mismatches: number[] = [];
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x03ff) !== 0;
      if (isNaN ? !Number.isNaN(floats[i]!) : back[i] !== i) mismatches.push(i);
    }
    expect(mismatches).toEqual([]);
    expect(floats[0x3c00]).toBe(1);
    expect(floats[0x0001]).toBe(2 ** -24);
    expect(floats[0x7bff]).toBe(65504);
    expect(floats[0xfc00]).toBe(-Infinity);
    expect(Object.is(floats[0x8000], -0)).toBe(true);
  });

  it('round-trips a latent-sized array within half precision', () => {
    const values = Float32Array.from({ length: 2 * 4 * 128 * 128 }, (_, i) => Math.sin(i));
    const restored = float16ToFloat32(float32ToFloat16(values));
    let worst = 0;
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(restored[i]! - values[i]!));
    expect(worst).toBeLessThanOrEqual(2 ** -11);
  });
});

// scripts/test-electron-node.mjs runs these tests on the Node major Electron ships and says which here.
describe.runIf(process.env.EASEL_EXPECT_NODE_MAJOR !== undefined)('the Node running these tests', () => {
  it('is the major the caller asked for', () => {
    console.log(`float16 tests on Node ${process.version}`);
    expect(process.versions.node.split('.')[0]).toBe(process.env.EASEL_EXPECT_NODE_MAJOR);
  });
});
