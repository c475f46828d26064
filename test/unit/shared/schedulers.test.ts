import { describe, expect, it } from 'vitest';
import { schedulerFromA1111 } from '../../../src-main/core/gallery/a1111';
import { schedulerNames } from '../../../src-preload/api';
import { schedulerLabels } from '../../../src-shared/schedulers';

describe('scheduler labels', () => {
  it('are the names A1111 writes, so a label read back from a PNG finds its scheduler', () => {
    for (const name of schedulerNames) expect(schedulerFromA1111(schedulerLabels[name])).toBe(name);
    expect(schedulerLabels['euler-a']).toBe('Euler a');
  });

  it('name every scheduler differently', () => {
    expect(new Set(Object.values(schedulerLabels)).size).toBe(schedulerNames.length);
  });
});
