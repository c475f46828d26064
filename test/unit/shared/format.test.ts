import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatEstimate,
  formatEta,
  formatMemory,
  formatProgress,
  formatSeconds,
  formatSpeed,
} from '../../../src-shared/format';

describe('shared sizes', () => {
  it('read as the core writes them', () => {
    expect(formatBytes(3.1e9)).toBe('3.1 GB');
    expect(formatBytes(999_960)).toBe('1 MB');
    expect(formatMemory(1536 * 1024 ** 2)).toBe('1.5 GB');
    expect(formatProgress(1_200_000_000, 2_600_000_000)).toBe('1.2 of 2.6 GB');
    expect(formatSpeed(12_500_000)).toBe('12.5 MB/s');
  });

  it('say "unknown size" for a number that is no byte count, so a screen never breaks on one', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatBytes(bad)).toBe('unknown size');
    expect(formatProgress(5, Number.NaN)).toBe('5 B of unknown size');
  });
});

describe('shared times', () => {
  it('says durations as a person would', () => {
    expect([0.01, 0.44, 3.6, 89, 95, 600, 7200].map(formatSeconds)).toEqual(['0.1 s', '0.4 s', '4 s', '89 s', '2 min', '10 min', '2 h']);
    expect(formatEstimate(3.6)).toBe('about 4 s');
  });

  it('writes a measured time in its largest sensible units', () => {
    expect([850, 12_400, 125_000].map(formatDuration)).toEqual(['850 ms', '12 s', '2 min 5 s']);
  });

  it('writes a download’s time left as a guess', () => {
    expect([30, 180, 3600, 5400].map(formatEta)).toEqual([
      'less than a minute left',
      'about 3 min left',
      'about 1 h left',
      'about 1 h 30 min left',
    ]);
  });
});

describe('formatCount', () => {
  it('puts the noun in the number the count needs', () => {
    expect(formatCount(1, 'image')).toBe('1 image');
    expect(formatCount(0, 'image')).toBe('0 images');
    expect(formatCount(2, 'image')).toBe('2 images');
    expect(formatCount(1024, 'image')).toBe('1,024 images');
    expect(formatCount(1, 'chunk')).toBe('1 chunk');
  });
});
