import type { createDispatcher } from '../../src-main/hosts/dispatch';
import type { JobSummary } from '../../src-preload/api';

/** Asks the contract for the job until it has ended (done, failed or cancelled), and returns it. */
export async function finishedJob(dispatch: ReturnType<typeof createDispatcher>, id: string): Promise<JobSummary> {
  for (;;) {
    const jobs = await dispatch('jobs.list', {});
    if (!jobs.ok) throw new Error(jobs.error.message);
    const job = (jobs.value as JobSummary[]).find((candidate) => candidate.id === id);
    if (job && ['done', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
