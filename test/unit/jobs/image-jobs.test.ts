import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventName, EventPayloads, JobSummary } from '../../../src-preload/api';
import { Easel } from '../../../src-main/core/easel';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { createDispatcher } from '../../../src-main/hosts/dispatch';
import { createHandlers } from '../../../src-main/hosts/handlers';
import { fixtureModel } from '../../fixtures/models';
import { useTempDirs } from '../../helpers/temp';
import { testPaths } from '../../helpers/web-host';
import { finishedJob } from '../../helpers/jobs';

const tempDir = useTempDirs();
let easel: Easel | undefined;
afterEach(async () => {
  await easel?.shutdown();
  easel = undefined;
});

async function setUp(options: { nan?: boolean } = {}) {
  const dataDir = await tempDir();
  easel = new Easel({ paths: testPaths(dataDir), host: 'web', version: '0.0.0-test', env: {} });
  const events: Array<{ event: EventName; payload: EventPayloads[EventName] }> = [];
  easel.events.subscribe((event, payload) => events.push({ event, payload }));
  const model = await easel.models.importFolder(await fixtureModel('sd15-legacy', options), 'reference');
  const dispatch = createDispatcher(createHandlers(easel));
  return { easel, dispatch, events, modelId: model.id, galleryDir: path.join(dataDir, 'gallery') };
}

const request = (modelId: string, extra: Record<string, unknown> = {}) => ({
  modelId,
  prompt: 'a red circle on a blue background',
  steps: 3,
  guidance: 5,
  width: 64,
  height: 64,
  scheduler: 'euler',
  seed: '42',
  ...extra,
});

describe('generation through the contract', () => {
  it('queues a job, reports progress with previews, and saves the image to the gallery with its parameters', async () => {
    const { dispatch, events, modelId, galleryDir } = await setUp();
    const queued = await dispatch('jobs.enqueue', request(modelId, { count: 2 }));
    expect(queued).toMatchObject({ ok: true, value: { state: expect.stringMatching(/queued|running/) } });
    if (!queued.ok) return;
    const job = await finishedJob(dispatch, (queued.value as JobSummary).id);

    expect(job.state).toBe('done');
    expect(job.results).toHaveLength(2);
    expect(job.results.map((item) => item.meta.seed)).toEqual(['42', '43']);
    expect(job.results[0]?.meta).toMatchObject({ modelId, provider: 'cpu', placeholder: false, width: 64, height: 64 });

    const progress = events.filter((e) => e.event === 'jobs.changed').map((e) => (e.payload as JobSummary).progress);
    expect(progress.some((p) => p?.preview?.startsWith('data:image/png;base64,'))).toBe(true);
    expect(progress.some((p) => p?.step === 3 && p.totalSteps === 3)).toBe(true);
    expect(events.some((e) => e.event === 'gallery.changed')).toBe(true);

    const png = await fs.readFile(path.join(galleryDir, job.results[0]!.id));
    expect(readPngTextChunks(png).parameters).toContain('Seed: 42');

    const page = await dispatch('gallery.list', { query: 'red circle' });
    expect(page).toMatchObject({ ok: true, value: { total: 2 } });
    expect(await dispatch('gallery.models', {})).toEqual({ ok: true, value: [{ modelId, modelName: job.results[0]!.meta.modelName, count: 2 }] });
    const thumbnail = await dispatch('gallery.thumbnail', { id: job.results[0]!.id });
    expect(thumbnail).toMatchObject({ ok: true, value: { dataUrl: expect.stringMatching(/^data:image\/webp;base64,/) } });
  });

  it('draws the seed in the core when the request has none, and saves the images with it', async () => {
    const { dispatch, modelId } = await setUp();
    const { seed: _seed, ...withoutSeed } = request(modelId, { count: 2 });
    const queued = await dispatch('jobs.enqueue', withoutSeed);
    if (!queued.ok) throw new Error(queued.error.message);
    const drawn = (queued.value as JobSummary).request.seed;
    expect(drawn).toMatch(/^\d{1,20}$/);
    const job = await finishedJob(dispatch, (queued.value as JobSummary).id);
    expect(job.request.seed).toBe(drawn);
    expect(job.results.map((item) => item.meta.seed)).toEqual([drawn, ((BigInt(drawn) + 1n) % 2n ** 64n).toString()]);
  });

  it('cancels a running job between steps', async () => {
    const { dispatch, modelId } = await setUp();
    const queued = await dispatch('jobs.enqueue', request(modelId, { steps: 200 }));
    if (!queued.ok) throw new Error(queued.error.message);
    const id = (queued.value as JobSummary).id;
    for (;;) {
      const list = await dispatch('jobs.list', {});
      const job = list.ok ? (list.value as JobSummary[])[0] : undefined;
      if (job?.progress) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await dispatch('jobs.cancel', { id });
    const job = await finishedJob(dispatch, id);
    expect(job.state).toBe('cancelled');
    expect(job.progress?.step ?? 0).toBeLessThan(200);
    expect(job.results).toEqual([]);
  });

  it('keeps the images a batch finished before it was cancelled', async () => {
    const { dispatch, modelId } = await setUp();
    const queued = await dispatch('jobs.enqueue', request(modelId, { steps: 200, count: 3, width: 512, height: 512 }));
    if (!queued.ok) throw new Error(queued.error.message);
    const id = (queued.value as JobSummary).id;
    for (;;) {
      const list = await dispatch('jobs.list', {});
      const job = list.ok ? (list.value as JobSummary[])[0] : undefined;
      if ((job?.progress?.image ?? 0) >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await dispatch('jobs.cancel', { id });
    const job = await finishedJob(dispatch, id);
    expect(job.state).toBe('cancelled');
    // Every image finished before the cancel is kept, in order; the rest were never made.
    const seeds = job.results.map((item) => item.meta.seed);
    expect(seeds.length).toBeGreaterThanOrEqual(1);
    expect(seeds.length).toBeLessThan(3);
    expect(seeds).toEqual(['42', '43'].slice(0, seeds.length));
    expect(await dispatch('gallery.list', {})).toMatchObject({ ok: true, value: { total: seeds.length } });
  });

  it('takes a queued job off the queue and tells every window', async () => {
    const { dispatch, events, modelId } = await setUp();
    const running = await dispatch('jobs.enqueue', request(modelId, { steps: 200 }));
    const waiting = await dispatch('jobs.enqueue', request(modelId));
    if (!running.ok || !waiting.ok) throw new Error('enqueue failed');
    const waitingId = (waiting.value as JobSummary).id;
    expect(await dispatch('jobs.remove', { id: waitingId })).toEqual({ ok: true, value: { id: waitingId } });
    expect(events).toContainEqual({ event: 'jobs.removed', payload: { id: waitingId } });
    await dispatch('jobs.cancel', { id: (running.value as JobSummary).id });
    const list = await dispatch('jobs.list', {});
    expect(list.ok && (list.value as JobSummary[]).map((job) => job.id)).not.toContain(waitingId);
  });

  it('saves a labelled placeholder when every provider fails', async () => {
    const { dispatch, modelId } = await setUp({ nan: true });
    const queued = await dispatch('jobs.enqueue', request(modelId));
    if (!queued.ok) throw new Error(queued.error.message);
    const job = await finishedJob(dispatch, (queued.value as JobSummary).id);
    expect(job.state).toBe('done');
    expect(job.results[0]?.meta).toMatchObject({ placeholder: true, provider: 'placeholder' });
    expect(job.results[0]?.meta.notes.join(' ')).toMatch(/cpu/i);
  });

  it('keeps one model loaded at a time, and forgets a removed one', async () => {
    const { easel: core, dispatch, modelId } = await setUp();
    const other = await core.models.importFolder(await fixtureModel('sd21'), 'copy');
    const run = async (id: string) => {
      const queued = await dispatch('jobs.enqueue', request(id));
      if (!queued.ok) throw new Error(queued.error.message);
      expect((await finishedJob(dispatch, (queued.value as JobSummary).id)).state).toBe('done');
    };
    await run(modelId);
    const oneModel = core.sessions.size;
    expect(oneModel).toBeGreaterThan(0);
    await run(other.id);
    expect(core.sessions.size).toBe(oneModel);
    await core.models.remove(other.id);
    expect(core.sessions.size).toBe(0);
  });

  it('refuses a model that is not installed, in words', async () => {
    const { dispatch } = await setUp();
    const result = await dispatch('jobs.enqueue', request('not-a-model'));
    expect(result).toMatchObject({ ok: false, error: { code: 'not_found' } });
    if (!result.ok) expect(result.error.message).toContain('Models');
  });

  it('counts prompt tokens with the model’s own tokenizer, in 75-token chunks', async () => {
    const { dispatch, modelId } = await setUp();
    const short = await dispatch('prompt.countTokens', { modelId, prompt: 'a cat' });
    expect(short).toMatchObject({ ok: true, value: { chunks: 1 } });
    const long = await dispatch('prompt.countTokens', { modelId, prompt: Array.from({ length: 100 }, () => 'cat').join(' ') });
    expect(long).toMatchObject({ ok: true, value: { tokens: 100, chunks: 2 } });
  });

  it('reads the parameters embedded in a PNG, and says so when there are none', async () => {
    const { dispatch, modelId, galleryDir } = await setUp();
    const queued = await dispatch('jobs.enqueue', request(modelId));
    if (!queued.ok) throw new Error(queued.error.message);
    const job = await finishedJob(dispatch, (queued.value as JobSummary).id);
    const png = await fs.readFile(path.join(galleryDir, job.results[0]!.id));
    const read = await dispatch('gallery.readParameters', { data: png.toString('base64') });
    expect(read).toMatchObject({ ok: true, value: { source: 'easel', prompt: 'a red circle on a blue background', seed: '42' } });
    const garbage = await dispatch('gallery.readParameters', { data: Buffer.from('not a png').toString('base64') });
    expect(garbage).toMatchObject({ ok: false, error: { code: 'image_invalid' } });
  });
});
