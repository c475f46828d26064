import { describe, expect, it } from 'vitest';
import { EaselError } from '../../src-main/core/errors';
import { formatBytes, formatMemory, formatProgress } from '../../src-main/core/format';

const GiB = 1024 ** 3;

describe('formatBytes', () => {
  it('uses decimal units by default', () => {
    expect(formatBytes(3.1e9)).toBe('3.1 GB');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1500)).toBe('1.5 KB');
    expect(formatBytes(34.25e6)).toBe('34.3 MB');
    expect(formatBytes(340.2e6)).toBe('340 MB');
    expect(formatBytes(2e9)).toBe('2 GB');
    expect(formatBytes(270.55e9)).toBe('271 GB');
    expect(formatBytes(4.2e12)).toBe('4.2 TB');
  });

  it('carries rounding into the next unit', () => {
    expect(formatBytes(999_960)).toBe('1 MB');
    expect(formatBytes(999)).toBe('999 B');
  });

  it('uses binary units for memory', () => {
    expect(formatBytes(12884901888, { base: 1024 })).toBe('12 GB');
    expect(formatMemory(24564 * 1024 ** 2)).toBe('24 GB');
    expect(formatMemory(6 * GiB)).toBe('6 GB');
    expect(formatMemory(1536 * 1024 ** 2)).toBe('1.5 GB');
  });

  it('refuses numbers that are not byte counts', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => formatBytes(bad)).toThrow(EaselError);
    }
  });
});

describe('download progress', () => {
  it('writes progress in one unit when both numbers share it', () => {
    expect(formatProgress(1_200_000_000, 2_600_000_000)).toBe('1.2 of 2.6 GB');
    expect(formatProgress(0, 2_600_000_000)).toBe('0 of 2.6 GB');
    expect(formatProgress(512_000, 2_600_000_000)).toBe('512 KB of 2.6 GB');
  });
});
