import type { JobKind, JobState, JobSummary } from '../../../src-preload/api';
import { RECENT_JOBS, useJobsStore } from '../../stores/jobs-store';
import { Icon } from '../Icon';
import { isFinished } from '../../../src-shared/jobs';
import { formatCount } from '../../../src-shared/format';

const stateLabels: Record<JobState, string> = {
  queued: 'Waiting',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const kindLabels: Record<JobKind, string> = {
  generate: 'Generate',
  inpaint: 'Edit',
  upscale: 'Upscale',
};

function describe(job: JobSummary): string {
  const { request } = job;
  if (job.upscale) return `×${job.upscale.scale} to ${request.width}×${request.height} · ${job.upscale.upscaler}`;
  const images = request.count > 1 ? `${formatCount(request.count, 'image')} · ` : '';
  const hires = request.hires ? ` · hires ×${request.hires.scale}` : '';
  return `${images}${request.width}×${request.height} · ${request.steps} steps${hires}`;
}

function JobRow({ job, focused }: { job: JobSummary; focused: boolean }) {
  const focus = useJobsStore((state) => state.focus);
  const cancel = useJobsStore((state) => state.cancel);
  const remove = useJobsStore((state) => state.remove);
  const progress = job.progress;
  const percent = progress ? Math.round(((progress.image * progress.totalSteps + progress.step) / (progress.totalSteps * progress.count)) * 100) : 0;
  return (
    <li className={focused ? 'job focused' : 'job'}>
      <button type="button" className="job-main" onClick={() => focus(job.id)} aria-current={focused ? 'true' : undefined}>
        <span className={`job-state ${job.state}`}>
          {stateLabels[job.state]}
          {job.state === 'running' ? ` ${percent}%` : ''}
        </span>
        <span className="job-prompt" title={job.request.prompt}>
          <span className={`job-kind kind-${job.kind}`}>{kindLabels[job.kind]}</span> {job.request.prompt.trim() || '(no prompt)'}
        </span>
        <span className="job-meta">{describe(job)}</span>
      </button>
      {job.state === 'running' && (
        <button type="button" className="icon-button" aria-label="Cancel this job" title="Cancel" onClick={() => void cancel(job.id)}>
          <Icon name="close" size={16} />
        </button>
      )}
      {job.state === 'queued' && (
        <button type="button" className="icon-button" aria-label="Remove from queue" title="Remove from queue" onClick={() => void remove(job.id)}>
          <Icon name="trash" size={16} />
        </button>
      )}
    </li>
  );
}

/** The running job, those waiting in order, then the last few finished ones, newest first. */
export function JobQueue() {
  const jobs = useJobsStore((state) => state.jobs);
  const focusId = useJobsStore((state) => state.focusId);
  const clearFinished = useJobsStore((state) => state.clearFinished);
  if (jobs.length === 0) return null;
  const active = jobs.filter((job) => !isFinished(job.state));
  const finished = jobs.filter((job) => job.state !== 'running' && job.state !== 'queued').slice(-RECENT_JOBS);
  const waiting = active.filter((job) => job.state === 'queued').length;
  return (
    <section className="panel job-queue" aria-label="Queue">
      <h2>
        Queue
        <span className="dim">{waiting > 0 ? `${waiting} waiting` : active.length > 0 ? 'running' : 'idle'}</span>
        {finished.length > 0 && (
          <button type="button" className="link clear-finished" onClick={() => void clearFinished()}>
            Clear finished
          </button>
        )}
      </h2>
      <ul>
        {[...active, ...finished.reverse()].map((job) => (
          <JobRow key={job.id} job={job} focused={job.id === focusId} />
        ))}
      </ul>
    </section>
  );
}
