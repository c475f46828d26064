import type { JobState } from '../src-preload/api';

/** The states a job ends in: it will not change again, and its results or error are final. */
const finishedJobStates: readonly JobState[] = ['done', 'failed', 'cancelled'];

export function isFinished(state: JobState): boolean {
  return finishedJobStates.includes(state);
}
