import { create } from 'zustand';
import type { ErrorInfo, GenerateRequestInput, JobSummary, Result, UpscaleRequestInput } from '../../src-preload/api';
import { isFinished } from '../../src-shared/jobs';
import { easel } from '../bridge';

interface JobsState {
  /** Every job the core still knows, oldest first. */
  jobs: JobSummary[];
  /** The job the canvas shows: the running one while it runs, then its results. */
  focusId: string | null;
  /** Which of the focused job's images the canvas shows. */
  resultIndex: number;
  /** Why the last Generate, Cancel or Remove did not happen. */
  error: ErrorInfo | null;
  load(): Promise<void>;
  /** The queued job (with the seed the core drew, if the request had none), or null after an error. */
  enqueue(request: GenerateRequestInput): Promise<JobSummary | null>;
  /** Queues an upscale of a gallery image; the queue and the canvas follow it like a generation. */
  enqueueUpscale(request: UpscaleRequestInput): Promise<JobSummary | null>;
  cancel(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Takes every finished job off the list; the images stay in the gallery. */
  clearFinished(): Promise<void>;
  focus(id: string): void;
  /** An empty canvas: what it showed no longer belongs to the form (new settings were loaded). */
  clearCanvas(): void;
  showResult(index: number): void;
  dismissError(): void;
  /** Why the last enqueue was refused, for a screen that says it itself; the Generate form then leaves it out. */
  takeError(): string;
  jobChanged(job: JobSummary): void;
  jobRemoved(id: string): void;
  /** Shows a job the core has just queued (or why it did not). */
  queued(result: Result<JobSummary>): JobSummary | null;
}

/** How many finished jobs the queue panel lists. */
export const RECENT_JOBS = 6;

/** Jobs taken off the queue here: a late event about them must not bring them back. */
const removedIds = new Set<string>();

/**
 * Puts a job's newest summary in the list. Answers (HTTP) and events (WebSocket) travel separately, so a
 * late answer saying "queued" or "running" must not undo the "done" an event already brought.
 */
function upsert(jobs: JobSummary[], job: JobSummary): JobSummary[] {
  const index = jobs.findIndex((known) => known.id === job.id);
  if (index === -1) return [...jobs, job].sort((a, b) => a.createdAt - b.createdAt);
  const known = jobs[index];
  if (known && isFinished(known.state) && !isFinished(job.state)) return jobs;
  const next = jobs.slice();
  next[index] = job;
  return next;
}

export const useJobsStore = create<JobsState>((set, get) => ({
  jobs: [],
  focusId: null,
  resultIndex: 0,
  error: null,

  load: async () => {
    const result = await easel.jobs.list();
    if (!result.ok) return set({ error: result.error });
    const jobs = result.value.filter((job) => !removedIds.has(job.id)).sort((a, b) => a.createdAt - b.createdAt);
    const running = jobs.find((job) => job.state === 'running');
    const focusId = get().focusId ?? running?.id ?? jobs.at(-1)?.id ?? null;
    set({ jobs, focusId });
  },

  enqueue: async (request) => get().queued(await easel.jobs.enqueue(request)),
  enqueueUpscale: async (request) => get().queued(await easel.upscale.enqueue(request)),

  queued: (result) => {
    if (!result.ok) {
      set({ error: result.error });
      return null;
    }
    const jobs = upsert(get().jobs, result.value);
    const focused = jobs.find((job) => job.id === get().focusId);
    // Follow the new job unless the canvas is busy showing one that is still going.
    const keepFocus = focused && !isFinished(focused.state);
    set({ jobs, error: null, ...(keepFocus ? {} : { focusId: result.value.id, resultIndex: 0 }) });
    return result.value;
  },

  cancel: async (id) => {
    const result = await easel.jobs.cancel({ id });
    if (!result.ok) return set({ error: result.error });
    set({ jobs: upsert(get().jobs, result.value), error: null });
  },

  remove: async (id) => {
    const result = await easel.jobs.remove({ id });
    if (!result.ok) return set({ error: result.error });
    get().jobRemoved(id);
    set({ error: null });
  },

  clearFinished: async () => {
    const finished = get().jobs.filter((job) => isFinished(job.state));
    const results = await Promise.all(finished.map((job) => easel.jobs.remove({ id: job.id })));
    finished.forEach((job, index) => {
      if (results[index]?.ok) get().jobRemoved(job.id);
    });
    const failure = results.find((result) => !result.ok);
    set({ error: failure && !failure.ok ? failure.error : null });
  },

  focus: (id) => set({ focusId: id, resultIndex: 0 }),
  clearCanvas: () => {
    const focused = get().jobs.find((job) => job.id === get().focusId);
    // A job still going keeps the canvas: its progress is what the person waits for.
    if (!focused || isFinished(focused.state)) set({ focusId: null, resultIndex: 0 });
  },
  showResult: (index) => set({ resultIndex: index }),
  dismissError: () => set({ error: null }),
  takeError: () => {
    const message = get().error?.message ?? 'no reason given';
    set({ error: null });
    return message;
  },

  jobRemoved: (id) => {
    removedIds.add(id);
    const jobs = get().jobs.filter((job) => job.id !== id);
    set({ jobs, ...(get().focusId === id ? { focusId: jobs.at(-1)?.id ?? null, resultIndex: 0 } : {}) });
  },

  jobChanged: (job) => {
    if (removedIds.has(job.id)) return;
    const { focusId } = get();
    const focused = get().jobs.find((known) => known.id === focusId);
    const jobs = upsert(get().jobs, job);
    // A job that starts takes the canvas, unless the canvas still waits for its own earlier job.
    const follow =
      job.state === 'running' && job.id !== focusId && (!focused || focused.state !== 'running');
    set({ jobs, ...(follow ? { focusId: job.id, resultIndex: 0 } : {}) });
  },
}));

let following = false;

/**
 * Jobs run on whichever screen is open, so their events are followed for the whole session once the
 * Generate screen has been seen.
 */
export function followJobs(): void {
  if (following) return;
  following = true;
  easel.subscribe('jobs.changed', (job) => useJobsStore.getState().jobChanged(job));
  easel.subscribe('jobs.removed', ({ id }) => useJobsStore.getState().jobRemoved(id));
  void useJobsStore.getState().load();
}
