import { randomUUID } from 'node:crypto';
import type { ErrorInfo, JobState } from '../../../src-preload/api';
import { isFinished } from '../../../src-shared/jobs';
import { EaselError, toErrorInfo } from '../errors';

/**
 * A queue that runs one job at a time (the GPU holds one generation), in the order they were added.
 * Waiting jobs can be removed, the running one cancelled through its AbortSignal; every change is
 * reported to listeners, and the last finished jobs are kept with their results or errors.
 */

export interface Job<TRequest, TResult, TProgress> {
  id: string;
  state: JobState;
  request: TRequest;
  /** The runner's latest progress report, or null before the first. */
  progress: TProgress | null;
  /** Set when state is 'done'. */
  result?: TResult;
  /** Set when state is 'failed' or 'cancelled'. */
  error?: ErrorInfo;
  /** Milliseconds since the epoch, from the queue's clock. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface JobContext<TProgress> {
  id: string;
  onProgress(progress: TProgress): void;
  /** Aborted when the job is cancelled: the runner should stop at its next step and reject. */
  signal: AbortSignal;
}

export type JobRunner<TRequest, TResult, TProgress> = (
  request: TRequest,
  context: JobContext<TProgress>,
) => Promise<TResult>;

export type JobEventType = 'added' | 'started' | 'progress' | 'finished' | 'removed';

export interface JobEvent<TRequest, TResult, TProgress> {
  type: JobEventType;
  job: Job<TRequest, TResult, TProgress>;
}

export interface JobQueueOptions<TRequest, TResult, TProgress> {
  run: JobRunner<TRequest, TResult, TProgress>;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** How many finished jobs (with their results) to keep; default 50. */
  keepFinished?: number;
  newId?: () => string;
  /** Where an exception thrown by a listener goes, since it must not stop the queue; default console.error. */
  onListenerError?: (error: unknown) => void;
}

function cancelledInfo(): ErrorInfo {
  return { code: 'cancelled', message: 'The job was cancelled.' };
}

export class JobQueue<TRequest, TResult, TProgress = unknown> {
  private readonly runner: JobRunner<TRequest, TResult, TProgress>;
  private readonly clock: () => number;
  private readonly keepFinished: number;
  private readonly newId: () => string;
  private readonly onListenerError: (error: unknown) => void;

  /** Every job still known, in the order added: finished history, the running one, the waiting ones. */
  private readonly jobs = new Map<string, Job<TRequest, TResult, TProgress>>();
  private readonly listeners = new Set<(event: JobEvent<TRequest, TResult, TProgress>) => void>();
  private readonly waiters = new Map<string, ((job: Job<TRequest, TResult, TProgress>) => void)[]>();
  private running: { job: Job<TRequest, TResult, TProgress>; controller: AbortController; settled: Promise<void> } | null =
    null;
  private idleWaiters: (() => void)[] = [];

  constructor(options: JobQueueOptions<TRequest, TResult, TProgress>) {
    this.runner = options.run;
    this.clock = options.clock ?? Date.now;
    this.keepFinished = Math.max(0, options.keepFinished ?? 50);
    this.newId = options.newId ?? randomUUID;
    this.onListenerError = options.onListenerError ?? ((error) => console.error('Job queue listener failed:', error));
  }

  /** Adds a job at the end of the queue and returns it as it stands (queued, or already running). */
  enqueue(request: TRequest): Job<TRequest, TResult, TProgress> {
    const job: Job<TRequest, TResult, TProgress> = {
      id: this.newId(),
      state: 'queued',
      request,
      progress: null,
      createdAt: this.clock(),
      startedAt: null,
      finishedAt: null,
    };
    if (this.jobs.has(job.id)) throw new EaselError('internal', `Job id ${job.id} is already in use.`, { id: job.id });
    this.jobs.set(job.id, job);
    this.emit('added', job);
    this.startNext();
    return { ...job };
  }

  /** All known jobs in the order they were added. */
  list(): Job<TRequest, TResult, TProgress>[] {
    return [...this.jobs.values()].map((job) => ({ ...job }));
  }

  get(id: string): Job<TRequest, TResult, TProgress> | undefined {
    const job = this.jobs.get(id);
    return job && { ...job };
  }

  private find(id: string): Job<TRequest, TResult, TProgress> {
    const job = this.jobs.get(id);
    if (!job) throw new EaselError('not_found', `There is no job ${id} (it may have finished long ago).`, { id });
    return job;
  }

  /** Resolves with the job once it is done, failed or cancelled. */
  wait(id: string): Promise<Job<TRequest, TResult, TProgress>> {
    const job = this.find(id);
    if (isFinished(job.state)) return Promise.resolve({ ...job });
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /** Resolves once nothing is running or waiting. */
  idle(): Promise<void> {
    if (!this.running && !this.hasQueued()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Takes a waiting job off the queue, or forgets a finished one. A running job cannot be removed:
   * cancel it first.
   */
  remove(id: string): void {
    const job = this.find(id);
    if (job.state === 'running') {
      throw new EaselError('invalid_request', 'This job is running; cancel it instead of removing it.', { id });
    }
    if (job.state === 'queued') {
      // Whoever waits on it learns it will never run.
      job.state = 'cancelled';
      job.finishedAt = this.clock();
      job.error = cancelledInfo();
    }
    this.jobs.delete(id);
    this.emit('removed', job);
    this.resolveWaiters(job);
    this.notifyIdle();
  }

  /**
   * Cancels a job: a waiting one at once, a running one by aborting its signal (it is 'cancelled' when
   * the runner has stopped, and only then does the next job start). Finished jobs stay as they are.
   */
  cancel(id: string): Job<TRequest, TResult, TProgress> {
    const job = this.find(id);
    if (job.state === 'queued') {
      this.finish(job, 'cancelled', { error: cancelledInfo() });
      this.notifyIdle();
    } else if (job.state === 'running' && this.running?.job === job) {
      this.running.controller.abort(new EaselError('cancelled', 'The job was cancelled.'));
    }
    return { ...job };
  }

  /** Cancels everything and waits for the running job to stop. */
  async close(): Promise<void> {
    for (const job of [...this.jobs.values()]) {
      if (!isFinished(job.state)) this.cancel(job.id);
    }
    await this.running?.settled;
  }

  onChange(listener: (event: JobEvent<TRequest, TResult, TProgress>) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(type: JobEventType, job: Job<TRequest, TResult, TProgress>): void {
    for (const listener of [...this.listeners]) {
      try {
        listener({ type, job: { ...job } });
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  private hasQueued(): boolean {
    for (const job of this.jobs.values()) if (job.state === 'queued') return true;
    return false;
  }

  private startNext(): void {
    if (this.running) return;
    const next = [...this.jobs.values()].find((job) => job.state === 'queued');
    if (!next) return;
    const controller = new AbortController();
    next.state = 'running';
    next.startedAt = this.clock();
    const settled = this.execute(next, controller);
    this.running = { job: next, controller, settled };
    this.emit('started', next);
  }

  private async execute(job: Job<TRequest, TResult, TProgress>, controller: AbortController): Promise<void> {
    // Let startNext record the running job and announce it before the runner can report anything.
    await Promise.resolve();
    const context: JobContext<TProgress> = {
      id: job.id,
      signal: controller.signal,
      onProgress: (progress) => {
        if (job.state !== 'running') return;
        job.progress = progress;
        this.emit('progress', job);
      },
    };
    try {
      const result = await this.runner(job.request, context);
      if (controller.signal.aborted) this.finish(job, 'cancelled', { error: cancelledInfo() });
      else this.finish(job, 'done', { result });
    } catch (error) {
      const cancelled = controller.signal.aborted || (error instanceof EaselError && error.code === 'cancelled');
      if (cancelled) this.finish(job, 'cancelled', { error: cancelledInfo() });
      else this.finish(job, 'failed', { error: toErrorInfo(error) });
    } finally {
      this.running = null;
      this.startNext();
      this.notifyIdle();
    }
  }

  private finish(
    job: Job<TRequest, TResult, TProgress>,
    state: 'done' | 'failed' | 'cancelled',
    outcome: { result?: TResult; error?: ErrorInfo },
  ): void {
    job.state = state;
    job.finishedAt = this.clock();
    if (outcome.result !== undefined) job.result = outcome.result;
    if (outcome.error !== undefined) job.error = outcome.error;
    this.emit('finished', job);
    this.resolveWaiters(job);
    this.trimHistory();
  }

  private resolveWaiters(job: Job<TRequest, TResult, TProgress>): void {
    const waiting = this.waiters.get(job.id);
    this.waiters.delete(job.id);
    for (const resolve of waiting ?? []) resolve({ ...job });
  }

  private trimHistory(): void {
    const finished = [...this.jobs.values()].filter((job) => isFinished(job.state));
    for (const job of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) {
      this.jobs.delete(job.id);
      this.emit('removed', job);
    }
  }

  private notifyIdle(): void {
    if (this.running || this.hasQueued()) return;
    const waiting = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiting) resolve();
  }
}
