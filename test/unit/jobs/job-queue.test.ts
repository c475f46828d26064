import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { JobQueue, type JobContext, type JobEvent } from '../../../src-main/core/jobs/job-queue';

interface Request {
  name: string;
  steps: number;
  failAt?: number;
  error?: Error;
}
interface Progress {
  step: number;
  total: number;
}

const STEP_MS = 5;

/** A runner like the generation loop: real timer steps, progress each step, stops at the next step when aborted. */
function stepRunner(log: string[], active = { now: 0, max: 0 }) {
  return async (request: Request, { onProgress, signal }: JobContext<Progress>): Promise<string> => {
    active.now++;
    active.max = Math.max(active.max, active.now);
    log.push(`start ${request.name}`);
    try {
      for (let step = 1; step <= request.steps; step++) {
        await sleep(STEP_MS);
        if (signal.aborted) {
          log.push(`stopped ${request.name} at ${step}`);
          throw signal.reason as Error;
        }
        if (request.failAt === step) throw request.error ?? new EaselError('inference_failed', `UNet failed at ${step}`);
        onProgress({ step, total: request.steps });
      }
      log.push(`end ${request.name}`);
      return `image of ${request.name}`;
    } finally {
      active.now--;
    }
  };
}

function counterClock() {
  let t = 1000;
  return () => t++;
}

describe('JobQueue', () => {
  it('runs jobs one at a time in the order added, keeping results and timestamps', async () => {
    const log: string[] = [];
    const active = { now: 0, max: 0 };
    const queue = new JobQueue<Request, string, Progress>({ run: stepRunner(log, active), clock: counterClock() });
    const a = queue.enqueue({ name: 'a', steps: 3 });
    const b = queue.enqueue({ name: 'b', steps: 2 });
    const c = queue.enqueue({ name: 'c', steps: 1 });
    expect(a.state).toBe('running');
    expect(queue.list().map((job) => [job.id, job.state])).toEqual([
      [a.id, 'running'],
      [b.id, 'queued'],
      [c.id, 'queued'],
    ]);

    await queue.idle();
    expect(active.max).toBe(1);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    const jobs = queue.list();
    expect(jobs.map((job) => [job.state, job.result])).toEqual([
      ['done', 'image of a'],
      ['done', 'image of b'],
      ['done', 'image of c'],
    ]);
    expect(jobs[0]!.progress).toEqual({ step: 3, total: 3 });
    for (const job of jobs) expect(job.createdAt < job.startedAt! && job.startedAt! < job.finishedAt!).toBe(true);
    expect(jobs[0]!.finishedAt! <= jobs[1]!.startedAt!).toBe(true);
  });

  it('reports every change to listeners until unsubscribed', async () => {
    const queue = new JobQueue<Request, string, Progress>({ run: stepRunner([]) });
    const events: string[] = [];
    const unsubscribe = queue.onChange((event: JobEvent<Request, string, Progress>) => {
      events.push(event.type === 'progress' ? `progress ${event.job.progress!.step}` : `${event.type} ${event.job.state}`);
    });
    const job = queue.enqueue({ name: 'a', steps: 2 });
    await queue.wait(job.id);
    expect(events).toEqual(['added queued', 'started running', 'progress 1', 'progress 2', 'finished done']);
    unsubscribe();
    await queue.wait(queue.enqueue({ name: 'b', steps: 1 }).id);
    expect(events).toHaveLength(5);
  });

  it('cancels a running job within a step through its signal, then runs the next', async () => {
    const log: string[] = [];
    const queue = new JobQueue<Request, string, Progress>({ run: stepRunner(log) });
    const long = queue.enqueue({ name: 'long', steps: 1000 });
    const next = queue.enqueue({ name: 'next', steps: 1 });
    await new Promise<void>((resolve) => {
      const off = queue.onChange((event) => {
        if (event.type === 'progress' && event.job.progress!.step === 2) {
          off();
          resolve();
        }
      });
    });
    const cancelledAt = Date.now();
    expect(queue.cancel(long.id).state).toBe('running');
    const finished = await queue.wait(long.id);
    expect(Date.now() - cancelledAt).toBeLessThan(STEP_MS * 40);
    expect(finished).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' }, progress: { step: 2 } });
    expect(finished.result).toBeUndefined();
    expect((await queue.wait(next.id)).state).toBe('done');
    expect(log).toEqual(['start long', 'stopped long at 3', 'start next', 'end next']);
  });

  it('waits for a runner that ignores the signal before starting the next job', async () => {
    const order: string[] = [];
    const queue = new JobQueue<string, string>({
      run: async (name) => {
        order.push(`start ${name}`);
        await sleep(30);
        order.push(`end ${name}`);
        return name;
      },
    });
    const stubborn = queue.enqueue('stubborn');
    const next = queue.enqueue('next');
    await sleep(5);
    queue.cancel(stubborn.id);
    expect(queue.get(next.id)!.state).toBe('queued');
    expect((await queue.wait(stubborn.id)).state).toBe('cancelled');
    await queue.idle();
    expect(order).toEqual(['start stubborn', 'end stubborn', 'start next', 'end next']);
  });

  it('removes or cancels waiting jobs so they never run, and refuses to remove the running one', async () => {
    const log: string[] = [];
    const queue = new JobQueue<Request, string, Progress>({ run: stepRunner(log) });
    const a = queue.enqueue({ name: 'a', steps: 3 });
    const b = queue.enqueue({ name: 'b', steps: 1 });
    const c = queue.enqueue({ name: 'c', steps: 1 });
    const d = queue.enqueue({ name: 'd', steps: 1 });
    const waitingOnB = queue.wait(b.id);
    queue.remove(b.id);
    expect(await waitingOnB).toMatchObject({ state: 'cancelled' });
    expect(queue.cancel(c.id).state).toBe('cancelled');
    expect(() => queue.remove(a.id)).toThrow(EaselError);
    expect(() => queue.remove('no-such-job')).toThrow(/no job/);

    await queue.idle();
    expect(log).toEqual(['start a', 'end a', 'start d', 'end d']);
    expect(queue.list().map((job) => [job.id, job.state])).toEqual([
      [a.id, 'done'],
      [c.id, 'cancelled'],
      [d.id, 'done'],
    ]);
    queue.remove(a.id);
    expect(queue.get(a.id)).toBeUndefined();
  });

  it('turns a failure into ErrorInfo and carries on with the next job', async () => {
    const log: string[] = [];
    const queue = new JobQueue<Request, string, Progress>({ run: stepRunner(log) });
    const typed = queue.enqueue({ name: 'typed', steps: 3, failAt: 2 });
    const plain = queue.enqueue({ name: 'plain', steps: 2, failAt: 1, error: new TypeError('x is undefined') });
    const ok = queue.enqueue({ name: 'ok', steps: 1 });
    await queue.idle();
    expect(queue.get(typed.id)).toMatchObject({
      state: 'failed',
      error: { code: 'inference_failed', message: 'UNet failed at 2' },
      progress: { step: 1 },
    });
    expect(queue.get(plain.id)!.error).toEqual({
      code: 'internal',
      message: 'Something went wrong inside Easel: x is undefined',
    });
    expect(queue.get(ok.id)).toMatchObject({ state: 'done', result: 'image of ok' });
  });

  it('keeps only the last N finished jobs', async () => {
    const queue = new JobQueue<string, string>({ run: async (name) => name, keepFinished: 2 });
    const removed: string[] = [];
    queue.onChange((event) => {
      if (event.type === 'removed') removed.push(event.job.request);
    });
    for (const name of ['a', 'b', 'c', 'd']) queue.enqueue(name);
    await queue.idle();
    expect(queue.list().map((job) => job.result)).toEqual(['c', 'd']);
    expect(removed).toEqual(['a', 'b']);
  });

  it('survives a listener that throws and a runner that throws synchronously', async () => {
    const listenerErrors: unknown[] = [];
    const queue = new JobQueue<string, string>({
      run: (name) => {
        if (name === 'sync') throw new Error('boom');
        return Promise.resolve(name);
      },
      onListenerError: (error) => listenerErrors.push(error),
    });
    queue.onChange(() => {
      throw new Error('listener broke');
    });
    const sync = queue.enqueue('sync');
    const after = queue.enqueue('after');
    await queue.idle();
    expect(queue.get(sync.id)).toMatchObject({ state: 'failed', error: { code: 'internal' } });
    expect(queue.get(after.id)).toMatchObject({ state: 'done', result: 'after' });
    expect(listenerErrors.length).toBeGreaterThan(0);
  });

  it('close() cancels everything and waits for the running job to stop', async () => {
    const log: string[] = [];
    const queue = new JobQueue<Request, string, Progress>({ run: stepRunner(log) });
    const a = queue.enqueue({ name: 'a', steps: 1000 });
    const b = queue.enqueue({ name: 'b', steps: 1 });
    await sleep(STEP_MS * 3);
    await queue.close();
    expect(queue.get(a.id)!.state).toBe('cancelled');
    expect(queue.get(b.id)!.state).toBe('cancelled');
    expect(log.filter((line) => line.startsWith('start'))).toEqual(['start a']);
  });
});
