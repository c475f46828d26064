import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventName, EventPayloads, JobSummary } from '../../../src-preload/api';
import { Easel } from '../../../src-main/core/easel';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { DEMO_MODEL_ID } from '../../../src-main/core/models/catalog';
import { createDispatcher } from '../../../src-main/hosts/dispatch';
import { createHandlers } from '../../../src-main/hosts/handlers';
import { checkUpscaleSize } from '../../../src-main/core/jobs/upscale-job';
import { useTempDirs } from '../../helpers/temp';
import { galleryItem } from '../renderer/stores/fake-easel';
import { testPaths } from '../../helpers/web-host';
import { finishedJob } from '../../helpers/jobs';

/** Upscales and hires fix through the contract, on the built-in demo model and the built-in upscalers. */
const tempDir = useTempDirs();
let easel: Easel | undefined;
afterEach(async () => {
  await easel?.shutdown();
  easel = undefined;
});

async function setUp() {
  const dataDir = await tempDir();
  easel = new Easel({ paths: testPaths(dataDir), host: 'web', version: '0.0.0-test', env: {} });
  const events: Array<{ event: EventName; payload: EventPayloads[EventName] }> = [];
  easel.events.subscribe((event, payload) => events.push({ event, payload }));
  const dispatch = createDispatcher(createHandlers(easel));
  return { dispatch, events, galleryDir: path.join(dataDir, 'gallery') };
}

type Dispatch = ReturnType<typeof createDispatcher>;

const demoRequest = (extra: Record<string, unknown> = {}) => ({
  modelId: DEMO_MODEL_ID,
  prompt: 'a red circle on a blue background',
  steps: 8,
  guidance: 5,
  width: 64,
  height: 64,
  scheduler: 'ddim',
  seed: '7',
  ...extra,
});

async function enqueued(result: Awaited<ReturnType<Dispatch>>): Promise<JobSummary> {
  if (!result.ok) throw new Error(result.error.message);
  return result.value as JobSummary;
}

async function pixels(file: string) {
  return sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

describe('upscale jobs', () => {
  it('enlarge a gallery image tile by tile, and save it next to its source with the upscale fields', async () => {
    const { dispatch, events, galleryDir } = await setUp();
    const made = await finishedJob(dispatch, (await enqueued(await dispatch('jobs.enqueue', demoRequest()))).id);
    expect(made).toMatchObject({ state: 'done', kind: 'generate' });
    const source = made.results[0]!;

    const queued = await enqueued(await dispatch('upscale.enqueue', { imageId: source.id, scale: 4 }));
    expect(queued).toMatchObject({ kind: 'upscale', upscale: { sourceId: source.id, scale: 4, upscaler: 'esrgan-slim-x4' } });
    expect(queued.request).toMatchObject({ width: 256, height: 256, prompt: source.meta.prompt });
    const job = await finishedJob(dispatch, queued.id);
    expect(job.state).toBe('done');
    const result = job.results[0]!;
    expect(result).toMatchObject({ width: 256, height: 256 });
    expect(result.meta).toMatchObject({ sourceImage: source.id, upscale: { scale: 4, upscaler: 'esrgan-slim-x4' }, seed: '7' });

    const progress = events.filter((e) => e.event === 'jobs.changed' && (e.payload as JobSummary).id === queued.id);
    expect(progress.map((e) => (e.payload as JobSummary).progress).some((p) => p?.step === 1 && p.totalSteps === 1)).toBe(true);

    const png = await fs.readFile(path.join(galleryDir, result.id));
    const chunks = readPngTextChunks(png);
    expect(chunks.postprocessing).toBe('Postprocess upscale by: 4, Postprocess upscaler: esrgan-slim-x4');
    // The source's parameters travel with the copy, as A1111's Extras tab keeps them.
    expect(chunks.parameters).toContain('Seed: 7, Size: 64x64');
    const { info } = await pixels(path.join(galleryDir, result.id));
    expect([info.width, info.height]).toEqual([256, 256]);

    const page = await dispatch('gallery.list', {});
    expect(page).toMatchObject({ ok: true, value: { total: 2 } });
  });

  it('use Lanczos when asked, and match sharp’s Lanczos resampling of the source', async () => {
    const { dispatch, galleryDir } = await setUp();
    const source = (await finishedJob(dispatch, (await enqueued(await dispatch('jobs.enqueue', demoRequest()))).id)).results[0]!;
    const job = await finishedJob(dispatch, (await enqueued(await dispatch('upscale.enqueue', { imageId: source.id, scale: 2, upscaler: 'lanczos' }))).id);
    expect(job.results[0]?.meta.upscale).toEqual({ scale: 2, upscaler: 'Lanczos' });
    const expected = await sharp(path.join(galleryDir, source.id)).removeAlpha().resize(128, 128, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer();
    expect((await pixels(path.join(galleryDir, job.results[0]!.id))).data.equals(expected)).toBe(true);
  });

  it('are cancelled between tiles, and save nothing', async () => {
    const { dispatch, events } = await setUp();
    // A picture of several tiles: 384×384 at 256 px tiles with 48 px overlap is four.
    const source = (await finishedJob(dispatch, (await enqueued(await dispatch('jobs.enqueue', demoRequest({ width: 384, height: 384, steps: 1 })))).id)).results[0]!;
    const queued = await enqueued(await dispatch('upscale.enqueue', { imageId: source.id, scale: 2 }));
    const unsubscribe = easel!.events.subscribe((event, payload) => {
      if (event === 'jobs.changed' && (payload as JobSummary).id === queued.id && (payload as JobSummary).progress?.step === 1) {
        void dispatch('jobs.cancel', { id: queued.id });
      }
    });
    const job = await finishedJob(dispatch, queued.id);
    unsubscribe();
    expect(job.state).toBe('cancelled');
    expect(job.results).toEqual([]);
    const steps = events.flatMap((e) => (e.event === 'jobs.changed' && (e.payload as JobSummary).id === queued.id ? [(e.payload as JobSummary).progress] : []));
    expect(steps.some((p) => p?.totalSteps === 4)).toBe(true);
    expect(steps.every((p) => p === null || p.step < 4)).toBe(true);
  });

  it('refuse a missing source, a factor other than 2 or 4, and a result past 16384 px, naming the field', async () => {
    const { dispatch } = await setUp();
    const huge = { ...galleryItem('huge.png'), width: 8192, height: 512 };
    expect(() => checkUpscaleSize(huge, 4)).toThrow(expect.objectContaining({ code: 'invalid_request', detail: expect.objectContaining({ field: 'scale' }) }));
    expect(() => checkUpscaleSize(huge, 2)).not.toThrow();
    expect(await dispatch('upscale.enqueue', { imageId: 'nothing-here.png', scale: 2 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await dispatch('upscale.enqueue', { imageId: 'a.png', scale: 3 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });
});

describe('hires fix', () => {
  it('makes the image at its size, enlarges it and redraws it at the target size, recording A1111’s hires fields', async () => {
    const { dispatch, events, galleryDir } = await setUp();
    const queued = await enqueued(await dispatch('jobs.enqueue', demoRequest({ hires: { scale: 2, strength: 0.5 } })));
    const job = await finishedJob(dispatch, queued.id);
    expect(job.state).toBe('done');
    const image = job.results[0]!;
    expect(image).toMatchObject({ width: 128, height: 128 });
    expect(image.meta).toMatchObject({ width: 64, height: 64, hiresScale: 2, hiresUpscaler: 'esrgan-slim-x2', hiresStrength: 0.5 });
    expect(image.meta.strength).toBeUndefined();
    // 8 steps at 64×64, then trunc(8 · 0.5) = 4 img2img steps at 128×128, reported as one run of 12.
    const steps = events.flatMap((e) => (e.event === 'jobs.changed' && (e.payload as JobSummary).id === queued.id ? [(e.payload as JobSummary).progress] : []));
    expect(steps.some((p) => p?.step === 12 && p.totalSteps === 12)).toBe(true);
    expect(steps.some((p) => p?.step === 8 && p.totalSteps === 12)).toBe(true);
    const parameters = readPngTextChunks(await fs.readFile(path.join(galleryDir, image.id))).parameters;
    expect(parameters).toContain('Size: 64x64');
    expect(parameters).toContain('Denoising strength: 0.5, Hires upscale: 2, Hires upscaler: esrgan-slim-x2');
    // Loading the image's settings brings hires fix back.
    const read = await dispatch('gallery.readParameters', { data: (await fs.readFile(path.join(galleryDir, image.id))).toString('base64') });
    expect(read).toMatchObject({ ok: true, value: { hiresScale: 2, hiresStrength: 0.5, width: 64 } });
  });

  it('refuses a target past 2048 px and hires with a starting image, naming the field', async () => {
    const { dispatch } = await setUp();
    expect(await dispatch('jobs.enqueue', demoRequest({ width: 1024, hires: { scale: 2.5, strength: 0.5 } }))).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', message: expect.stringContaining('2560') },
    });
    const init = (await sharp({ create: { width: 64, height: 64, channels: 3, background: '#00f' } }).png().toBuffer()).toString('base64');
    expect(await dispatch('jobs.enqueue', demoRequest({ initImage: { data: init, strength: 0.5 }, hires: { scale: 2, strength: 0.5 } }))).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });
});
