import { describe, expect, it } from 'vitest';
import { jobStates } from '../../../src-preload/api';
import { isFinished } from '../../../src-shared/jobs';

describe('job states', () => {
  it('finish with done, failed or cancelled, and only those', () => {
    expect(jobStates.filter(isFinished)).toEqual(['done', 'failed', 'cancelled']);
  });
});
