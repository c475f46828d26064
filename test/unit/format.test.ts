import { describe, expect, it } from 'vitest';
import { formatBytes, formatMemory, formatProgress } from '../../src-main/core/format';

describe('byte formatting', () => {
  it('uses the decimal units the hub and file managers show', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3_100_000_000)).toBe('3.1 GB');
    expect(formatBytes(1_400_000)).toBe('1.4 MB');
    expect(formatBytes(340_200_000)).toBe('340 MB');
    expect(formatBytes(999_960)).toBe('1 MB');
  });

  it('uses binary units for memory', () => {
    expect(formatMemory(12_884_901_888)).toBe('12 GB');
  });

  it('refuses byte counts that are not counts', () => {
    expect(() => formatBytes(-1)).toThrow();
    expect(() => formatBytes(Number.NaN)).toThrow();
  });

  it('writes progress in one unit when both numbers share it', () => {
    expect(formatProgress(1_200_000_000, 2_600_000_000)).toBe('1.2 of 2.6 GB');
    expect(formatProgress(0, 2_600_000_000)).toBe('0 of 2.6 GB');
    expect(formatProgress(512_000, 2_600_000_000)).toBe('512 KB of 2.6 GB');
  });
});
