import { fake, ioError, job, ok } from './fake-easel';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { followJobs, useJobsStore } from '../../../../src-renderer/stores/jobs-store';

const request = {
  modelId: 'sd15',
  prompt: 'a lighthouse',
  steps: 20,
  guidance: 7,
  width: 512,
  height: 512,
  scheduler: 'euler-a' as const,
  seed: '42',
};

beforeEach(() => {
  fake.reset();
  useJobsStore.setState(useJobsStore.getInitialState(), true);
});

describe('the jobs store', () => {
  it('queues a request as the contract takes it and shows the new job', async () => {
    fake.answer('jobs.enqueue', (parsed) => ok(job('j1', { request: { ...parsed, seed: parsed.seed ?? '1', strength: null } })));
    expect(await useJobsStore.getState().enqueue(request)).toBeTruthy();
    expect(fake.requests('jobs.enqueue')).toEqual([{ ...request, negativePrompt: '', count: 1, provider: 'auto', preview: true, decoder: 'auto' }]);
    expect(useJobsStore.getState()).toMatchObject({ focusId: 'j1', resultIndex: 0, error: null });
    expect(useJobsStore.getState().jobs.map((known) => known.id)).toEqual(['j1']);
  });

  it('keeps the canvas on a job that is still going when another is queued', async () => {
    useJobsStore.setState({ jobs: [job('running', { state: 'running' })], focusId: 'running' });
    fake.answer('jobs.enqueue', job('next', { createdAt: 2000 }));
    await useJobsStore.getState().enqueue(request);
    expect(useJobsStore.getState().focusId).toBe('running');
    expect(useJobsStore.getState().jobs.map((known) => known.id)).toEqual(['running', 'next']);
  });

  it('says why a job could not be queued', async () => {
    fake.fail('jobs.enqueue', ioError);
    expect(await useJobsStore.getState().enqueue(request)).toBeFalsy();
    expect(useJobsStore.getState()).toMatchObject({ jobs: [], error: ioError });
  });

  it('never lets a late answer undo the finish an event already brought', async () => {
    useJobsStore.getState().jobChanged(job('fast', { state: 'done', finishedAt: 1500 }));
    fake.answer('jobs.enqueue', job('fast', { state: 'queued' }));
    await useJobsStore.getState().enqueue(request);
    expect(useJobsStore.getState().jobs).toEqual([job('fast', { state: 'done', finishedAt: 1500 })]);
  });

  it('moves the canvas to a job that starts, unless it shows one still running', () => {
    const jobs = useJobsStore.getState();
    jobs.jobChanged(job('a', { state: 'running' }));
    expect(useJobsStore.getState().focusId).toBe('a');
    jobs.jobChanged(job('b', { state: 'running', createdAt: 2000 }));
    expect(useJobsStore.getState().focusId).toBe('a');
    jobs.jobChanged(job('a', { state: 'done' }));
    jobs.jobChanged(job('c', { state: 'running', createdAt: 3000 }));
    expect(useJobsStore.getState().focusId).toBe('c');
  });

  it('forgets a removed job for good, even when a late event names it', async () => {
    useJobsStore.setState({ jobs: [job('keep'), job('gone', { createdAt: 2000 })], focusId: 'gone' });
    fake.answer('jobs.remove', { id: 'gone' });
    await useJobsStore.getState().remove('gone');
    expect(fake.requests('jobs.remove')).toEqual([{ id: 'gone' }]);
    useJobsStore.getState().jobChanged(job('gone', { state: 'cancelled' }));
    expect(useJobsStore.getState()).toMatchObject({ focusId: 'keep', error: null });
    expect(useJobsStore.getState().jobs.map((known) => known.id)).toEqual(['keep']);
  });

  it('cancels through the core and shows the answer', async () => {
    useJobsStore.setState({ jobs: [job('j', { state: 'running' })] });
    fake.answer('jobs.cancel', ({ id }) => ok(job(id, { state: 'cancelled' })));
    await useJobsStore.getState().cancel('j');
    expect(useJobsStore.getState().jobs[0]?.state).toBe('cancelled');
  });

  it('loads the queue oldest first, focused on the running job, and follows its events', async () => {
    fake.answer('jobs.list', [job('late', { createdAt: 3000 }), job('now', { state: 'running', createdAt: 2000 }), job('old', { state: 'done' })]);
    followJobs();
    await vi.waitFor(() => expect(useJobsStore.getState().jobs).toHaveLength(3));
    expect(useJobsStore.getState().jobs.map((known) => known.id)).toEqual(['old', 'now', 'late']);
    expect(useJobsStore.getState().focusId).toBe('now');
    fake.emit('jobs.changed', job('now', { state: 'done', createdAt: 2000 }));
    fake.emit('jobs.removed', { id: 'late' });
    expect(useJobsStore.getState().jobs.map((known) => `${known.id}:${known.state}`)).toEqual(['old:done', 'now:done']);
  });
});

describe('clearing the queue and the canvas', () => {
  it('takes every finished job off the list and leaves the ones still going', async () => {
    useJobsStore.setState({
      jobs: [job('done', { state: 'done' }), job('failed', { state: 'failed' }), job('running', { state: 'running' }), job('queued')],
      focusId: 'running',
    });
    fake.answer('jobs.remove', (parsed) => ok({ id: parsed.id }));
    await useJobsStore.getState().clearFinished();
    expect(fake.requests('jobs.remove')).toEqual([{ id: 'done' }, { id: 'failed' }]);
    expect(useJobsStore.getState().jobs.map((known) => known.id)).toEqual(['running', 'queued']);
    expect(useJobsStore.getState()).toMatchObject({ focusId: 'running', error: null });
  });

  it('says why a finished job could not be cleared, and keeps it listed', async () => {
    useJobsStore.setState({ jobs: [job('done', { state: 'done' })], focusId: 'done' });
    fake.fail('jobs.remove', ioError);
    await useJobsStore.getState().clearFinished();
    expect(useJobsStore.getState().jobs.map((known) => known.id)).toEqual(['done']);
    expect(useJobsStore.getState().error).toEqual(ioError);
  });

  it('empties the canvas of a finished result, but not of a job still going', () => {
    useJobsStore.setState({ jobs: [job('done', { state: 'done' }), job('running', { state: 'running' })], focusId: 'done' });
    useJobsStore.getState().clearCanvas();
    expect(useJobsStore.getState().focusId).toBeNull();
    useJobsStore.setState({ focusId: 'running' });
    useJobsStore.getState().clearCanvas();
    expect(useJobsStore.getState().focusId).toBe('running');
  });
});
