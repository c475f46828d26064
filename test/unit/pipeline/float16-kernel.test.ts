import { describe, expect, it } from 'vitest';
import { guideFromFloat16, toFloat16 } from '../../../src-main/core/pipeline/float16-kernel';
import { combineGuidanceFloat16 } from '../../../src-main/core/pipeline/latents';
import { float32ToFloat16, toFloat16Bits } from '../../../src-main/core/runtime/float16';

const sameFloat = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('the WebAssembly float16 kernels', () => {
  it('convert to float16 as the JavaScript conversion does at every rounding boundary of every exponent and sign', () => {
    // Each float32 with its top 19 bits (sign, exponent, kept mantissa) taken in turn, and the 13 dropped
    // bits at zero, just below, at and just above the tie and at their largest: ties to even, subnormals,
    // the carry into infinity at 65520, infinities and NaN with their payloads.
    const dropped = [0, 1, 0x0fff, 0x1000, 0x1001, 0x1fff];
    const words = new Uint32Array(2 ** 19 * dropped.length);
    for (let top = 0; top < 2 ** 19; top++) {
      for (let d = 0; d < dropped.length; d++) words[top * dropped.length + d] = ((top << 13) | dropped[d]!) >>> 0;
    }
    const values = new Float32Array(words.buffer);
    const expected = float32ToFloat16(values);
    const halves = toFloat16(values, new Uint16Array(values.length));
    const mismatches: string[] = [];
    for (let i = 0; i < values.length && mismatches.length < 5; i++) {
      if (halves[i] !== expected[i]) mismatches.push(`${words[i]!.toString(16)}: ${halves[i]!.toString(16)} not ${expected[i]!.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('convert the subnormal range and its edges value by value', () => {
    const values = Float32Array.from([2 ** -24, 2 ** -25, 3 * 2 ** -25, 2047 * 2 ** -25, 2 ** -14, 1e-10, -1e-10, -(2 ** -24), 1e-45, -0, 0]);
    const halves = toFloat16(values, new Uint16Array(values.length));
    expect(Array.from(halves)).toEqual(Array.from(values, (value) => toFloat16Bits(value)));
    expect(Array.from(halves.subarray(0, 5))).toEqual([0x0001, 0x0000, 0x0002, 0x0400, 0x0400]);
  });

  it('convert arrays of any length, the tail past the last whole block included', () => {
    for (const length of [0, 1, 7, 9, 33]) {
      const values = Float32Array.from({ length }, (_, i) => Math.sin(i) * 100);
      expect(Array.from(toFloat16(values, new Uint16Array(length)))).toEqual(Array.from(float32ToFloat16(values)));
    }
  });

  it('combine the guidance from float16 rows to the same float32 values as the JavaScript', () => {
    // Every float16 pattern as the unconditional row against a spread of conditional ones: normals,
    // subnormals, signed zeros, infinities and NaN; a scale that is not a float32 makes the doubles matter.
    const uncond = new Uint16Array(65536).map((_, i) => i);
    for (const multiplier of [1, 40503, 7919]) {
      const cond = uncond.map((_, i) => Math.imul(i, multiplier) & 0xffff);
      for (const scale of [7.3, 1.5, 12]) {
        const expected = combineGuidanceFloat16(uncond, cond, scale, new Float32Array(65536));
        const fused = guideFromFloat16(uncond, cond, scale, new Float32Array(65536));
        const mismatches = Array.from(fused.keys()).filter((i) => !sameFloat(fused[i]!, expected[i]!));
        expect(mismatches.slice(0, 5)).toEqual([]);
      }
    }
    for (const length of [1, 3, 5, 18]) {
      const u = uncond.subarray(15000, 15000 + length);
      const c = uncond.subarray(15360, 15360 + length);
      expect(Array.from(guideFromFloat16(u, c, 7.5, new Float32Array(length)))).toEqual(
        Array.from(combineGuidanceFloat16(u, c, 7.5, new Float32Array(length))),
      );
    }
  });
});
