import { describe, expect, it } from 'vitest';
import { formatBytes, formatProgress } from '../../../src-main/core/models/format';

describe('byte formatting', () => {
  it('uses the decimal units the hub shows', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3_100_000_000)).toBe('3.1 GB');
    expect(formatBytes(1_400_000)).toBe('1.4 MB');
  });

  it('writes progress in one unit when both numbers share it', () => {
    expect(formatProgress(1_200_000_000, 2_600_000_000)).toBe('1.2 of 2.6 GB');
    expect(formatProgress(0, 2_600_000_000)).toBe('0.0 of 2.6 GB');
    expect(formatProgress(512_000, 2_600_000_000)).toBe('512.0 KB of 2.6 GB');
  });
});
