import { deferred, fake, ioError, model, ok, settings } from './fake-easel';
import { beforeEach, describe, expect, it } from 'vitest';
import { generateRequestSchema, type ModelSummary, type Result } from '../../../../src-preload/api';
import { useAppStore } from '../../../../src-renderer/stores/app-store';
import { DRAFT_KEY, parseDraft, persistFormDraft, type DraftStorage } from '../../../../src-renderer/stores/form-draft';
import { useGenerateStore } from '../../../../src-renderer/stores/generate-store';

const sd15 = model('sd15');
const turbo = model('turbo', {
  family: 'sd-turbo',
  defaults: { scheduler: 'euler', steps: 1, guidance: 1, width: 512, height: 512 },
});

beforeEach(() => {
  fake.reset();
  useGenerateStore.setState(useGenerateStore.getInitialState(), true);
  useAppStore.setState(useAppStore.getInitialState(), true);
  fake.answer('settings.update', (patch) => ok(settings({ lastModelId: patch.lastModelId ?? null })));
  fake.fail('app.info', ioError);
});

describe('the generate store', () => {
  it('offers installed models only and opens on the last one used, with its defaults', async () => {
    useAppStore.setState({ settings: settings({ lastModelId: 'turbo' }) });
    fake.answer('models.list', [sd15, turbo, model('away', { state: 'available' })]);
    await useGenerateStore.getState().loadModels();
    const state = useGenerateStore.getState();
    expect(state.models.map((known) => known.id)).toEqual(['sd15', 'turbo']);
    // Turbo models are distilled to run without guidance.
    expect(state).toMatchObject({ modelId: 'turbo', scheduler: 'euler', steps: 1, guidance: 0, modelsLoaded: true });
  });

  it('lets only the newest model list apply', async () => {
    const slow = deferred<Result<ModelSummary[]>>();
    fake.answer('models.list', () => slow.promise);
    const older = useGenerateStore.getState().loadModels();
    fake.answer('models.list', [sd15]);
    await useGenerateStore.getState().loadModels();
    slow.resolve(ok([turbo]));
    await older;
    expect(useGenerateStore.getState().models.map((known) => known.id)).toEqual(['sd15']);
  });

  it('moves off a model that is no longer installed', () => {
    useGenerateStore.setState({ models: [sd15, turbo], modelId: 'turbo' });
    useGenerateStore.getState().modelChanged({ ...turbo, state: 'available' });
    expect(useGenerateStore.getState()).toMatchObject({ modelId: 'sd15', models: [sd15] });
  });

  it('loads settings from an image within the contract’s limits and keeps its seed', async () => {
    useGenerateStore.setState({ models: [sd15, turbo], modelsLoaded: true, modelId: 'turbo' });
    await useGenerateStore
      .getState()
      .applyParameters({ modelId: 'sd15', prompt: 'a harbour', steps: 500, guidance: -2, width: 1001, height: 30, scheduler: 'dpmpp-2m', seed: '18446744073709551615' }, 'harbour.png');
    expect(useGenerateStore.getState()).toMatchObject({
      modelId: 'sd15',
      prompt: 'a harbour',
      steps: 200,
      guidance: 0,
      width: 1000,
      height: 64,
      scheduler: 'dpmpp-2m',
      seed: '18446744073709551615',
      seedLocked: true,
      notice: {
        tone: 'info',
        text: 'Loaded the settings of harbour.png. Its seed 18446744073709551615 is locked, so Generate draws the same picture again.',
      },
    });
    expect(fake.requests('settings.update')).toEqual([{ lastModelId: 'sd15' }]);
  });

  it('says what it could not load from an image, and keeps the rest', async () => {
    useGenerateStore.setState({ models: [sd15], modelsLoaded: true, modelId: 'sd15' });
    await useGenerateStore
      .getState()
      .applyParameters({ modelId: 'gone', modelName: 'Gone v2', scheduler: 'dpm-fancy' as never, prompt: 'a harbour' }, 'a PNG');
    expect(useGenerateStore.getState()).toMatchObject({
      modelId: 'sd15',
      prompt: 'a harbour',
      notice: {
        tone: 'warning',
        text: 'Loaded the settings of a PNG; its model (Gone v2) is not installed, so the current one stays; its scheduler "dpm-fancy" is unknown here.',
      },
    });
    expect(fake.requests('settings.update')).toEqual([]);
  });

  it('builds a request the contract accepts, with the locked seed and the starting image', () => {
    useGenerateStore.setState({ models: [sd15], modelId: 'sd15', prompt: 'a lighthouse', seed: '42', seedLocked: true, count: 2 });
    useGenerateStore.getState().setInitImage({ data: 'iVBORw0KGgo=', url: 'data:image/png;base64,iVBORw0KGgo=', name: 'start.png' });
    useGenerateStore.getState().setStrength(0.4);
    const request = useGenerateStore.getState().takeRequest('cpu');
    expect(request).toMatchObject({ modelId: 'sd15', prompt: 'a lighthouse', seed: '42', count: 2, provider: 'cpu' });
    expect(request?.initImage).toEqual({ data: 'iVBORw0KGgo=', strength: 0.4 });
    expect(generateRequestSchema.safeParse(request).success).toBe(true);
  });

  it('asks for the decoder chosen in the form, and takes back the one an image records', async () => {
    useGenerateStore.setState({ models: [sd15], modelsLoaded: true, modelId: 'sd15', prompt: 'a lighthouse' });
    expect(useGenerateStore.getState().takeRequest('cpu')).toMatchObject({ decoder: 'auto' });
    await useGenerateStore.getState().applyParameters({ decoder: 'tiny' }, 'draft.png');
    expect(useGenerateStore.getState().takeRequest('cpu')).toMatchObject({ decoder: 'tiny' });
  });

  it('asks for hires fix on a new picture only, and takes it back from an image that used it', async () => {
    useGenerateStore.setState({ models: [sd15], modelsLoaded: true, modelId: 'sd15', prompt: 'a lighthouse', width: 512, height: 512 });
    useGenerateStore.getState().update({ hires: true, hiresScale: 1.5, hiresStrength: 0.45 });
    const request = useGenerateStore.getState().takeRequest('cpu');
    expect(request?.hires).toEqual({ scale: 1.5, strength: 0.45 });
    expect(generateRequestSchema.safeParse(request).success).toBe(true);
    useGenerateStore.getState().setInitImage({ data: 'iVBORw0KGgo=', url: 'data:image/png;base64,iVBORw0KGgo=', name: 'start.png' });
    expect(useGenerateStore.getState().takeRequest('cpu')?.hires).toBeUndefined();
    useGenerateStore.getState().clearInitImage();
    await useGenerateStore.getState().applyParameters({ prompt: 'a harbour' }, 'plain.png');
    expect(useGenerateStore.getState().hires).toBe(false);
    await useGenerateStore.getState().applyParameters({ prompt: 'a harbour', hiresScale: 2, hiresStrength: 0.6 }, 'hires.png');
    expect(useGenerateStore.getState()).toMatchObject({ hires: true, hiresScale: 2, hiresStrength: 0.6 });
  });

  it('leaves inpainting models to the canvas: the form never picks one', async () => {
    const inpainting = model('inpaint', { inpainting: true });
    useAppStore.setState({ settings: settings({ lastModelId: 'inpaint' }) });
    fake.answer('models.list', [inpainting, sd15]);
    await useGenerateStore.getState().loadModels();
    expect(useGenerateStore.getState()).toMatchObject({ modelId: 'sd15' });
    expect(useGenerateStore.getState().models.map((known) => known.id)).toEqual(['inpaint', 'sd15']);
  });

  it('goes back to the automatic decoder on moving from a model with a tiny decoder to one without', () => {
    const withTiny = model('with-tiny', { tinyDecoder: true });
    useGenerateStore.setState({ models: [sd15, withTiny], modelsLoaded: true, modelId: 'with-tiny', decoder: 'tiny' });
    useGenerateStore.getState().selectModel('sd15');
    expect(useGenerateStore.getState()).toMatchObject({ modelId: 'sd15', decoder: 'auto' });
    useGenerateStore.setState({ decoder: 'full' });
    useGenerateStore.getState().selectModel('with-tiny');
    expect(useGenerateStore.getState()).toMatchObject({ modelId: 'with-tiny', decoder: 'full' });
  });

  it('lists installed upscalers apart, never as a model to draw with, and forgets a chosen one that is removed', async () => {
    const esrgan = model('real-esrgan-x4plus', { family: 'upscaler', upscaleFactor: 4 });
    useAppStore.setState({ settings: settings({ lastModelId: 'real-esrgan-x4plus' }) });
    fake.answer('models.list', [esrgan, sd15, model('anime', { family: 'upscaler', upscaleFactor: 4, state: 'available' })]);
    await useGenerateStore.getState().loadModels();
    expect(useGenerateStore.getState()).toMatchObject({ modelId: 'sd15', upscaler: 'auto' });
    expect(useGenerateStore.getState().models.map((known) => known.id)).toEqual(['sd15']);
    expect(useGenerateStore.getState().upscalers.map((known) => known.id)).toEqual(['real-esrgan-x4plus']);
    useGenerateStore.setState({ upscaler: 'real-esrgan-x4plus' });
    useGenerateStore.getState().modelChanged({ ...esrgan, state: 'available' });
    expect(useGenerateStore.getState()).toMatchObject({ upscalers: [], upscaler: 'auto', modelId: 'sd15' });
  });

  it('never offers a tiny decoder add-on as a model, and reads the models again when one is installed so they offer the fast decoder', async () => {
    const taesd = model('taesd', { family: 'tiny-decoder' });
    fake.answer('models.list', [sd15, taesd]);
    await useGenerateStore.getState().loadModels();
    expect(useGenerateStore.getState().models.map((known) => [known.id, known.tinyDecoder])).toEqual([['sd15', false]]);
    fake.answer('models.list', [{ ...sd15, tinyDecoder: true }, taesd]);
    useGenerateStore.getState().modelChanged(taesd);
    await expect.poll(() => useGenerateStore.getState().models.map((known) => [known.id, known.tinyDecoder])).toEqual([['sd15', true]]);
  });

  it('builds no request without a model', () => {
    expect(useGenerateStore.getState().takeRequest('auto')).toBeNull();
  });
});

describe('the form draft', () => {
  /** Web Storage as the renderer has it: strings by key. */
  function memoryStorage(): DraftStorage & { items: Map<string, string> } {
    const items = new Map<string, string>();
    return { items, getItem: (key) => items.get(key) ?? null, setItem: (key, value) => void items.set(key, value) };
  }

  it('survives a reload: the prompt and form come back as they were typed', () => {
    const storage = memoryStorage();
    const stop = persistFormDraft(storage);
    useGenerateStore.getState().update({ prompt: 'a red circle on a blue background', steps: 30, scheduler: 'ddim', seed: '42', seedLocked: true });
    stop();
    useGenerateStore.setState(useGenerateStore.getInitialState(), true);
    expect(useGenerateStore.getState().prompt).toBe('');
    persistFormDraft(storage)();
    expect(useGenerateStore.getState()).toMatchObject({
      prompt: 'a red circle on a blue background',
      steps: 30,
      scheduler: 'ddim',
      seed: '42',
      seedLocked: true,
    });
  });

  it('keeps the draft’s prompt when its model is gone, and takes the installed model’s defaults', async () => {
    const storage = memoryStorage();
    storage.setItem(DRAFT_KEY, JSON.stringify({ modelId: 'removed', prompt: 'a harbour', steps: 99 }));
    persistFormDraft(storage)();
    fake.answer('models.list', [sd15]);
    await useGenerateStore.getState().loadModels();
    expect(useGenerateStore.getState()).toMatchObject({ modelId: 'sd15', prompt: 'a harbour', steps: 25 });
  });

  it('ignores a draft it cannot read, field by field', () => {
    expect(parseDraft('not json')).toEqual({});
    expect(parseDraft(JSON.stringify({ prompt: 3, steps: 'many', scheduler: 'warp', seed: '-1', count: 2 }))).toEqual({ count: 2 });
    expect(parseDraft(JSON.stringify({ hires: true, hiresScale: 9, hiresStrength: 0.3 }))).toEqual({ hires: true, hiresStrength: 0.3 });
  });
});

describe('starting from a gallery image and reusing its settings', () => {
  it('makes a gallery image the img2img starting image, keeping the strength', async () => {
    useGenerateStore.setState({ initImage: { data: 'old', url: 'data:image/png;base64,old', name: 'old', strength: 0.4 } });
    fake.answer('gallery.image', (parsed) => ok({ id: parsed.id, dataUrl: 'data:image/png;base64,iVBORw0KGgo=' }));
    expect(await useGenerateStore.getState().startFromGalleryImage('2026-01-01_a.png', 'a red circle')).toBe(true);
    expect(fake.requests('gallery.image')).toEqual([{ id: '2026-01-01_a.png' }]);
    expect(useGenerateStore.getState().initImage).toEqual({
      data: 'iVBORw0KGgo=',
      url: 'data:image/png;base64,iVBORw0KGgo=',
      name: 'a red circle',
      strength: 0.4,
    });
    expect(useGenerateStore.getState().notice?.text).toContain('is now the image to start from');
  });

  it('says why a gallery image could not be used, and keeps the current starting image', async () => {
    fake.fail('gallery.image', ioError);
    expect(await useGenerateStore.getState().startFromGalleryImage('gone.png', '')).toBe(false);
    expect(useGenerateStore.getState().initImage).toBeNull();
    expect(useGenerateStore.getState().notice).toMatchObject({ tone: 'warning', text: expect.stringContaining('The disk said no.') });
  });

  it('says the seed of loaded settings is locked, and offers a random one', async () => {
    useGenerateStore.setState({ models: [sd15], modelsLoaded: true, modelId: 'sd15', seedLocked: false });
    await useGenerateStore.getState().applyParameters({ prompt: 'a harbour', seed: '1234' }, 'the gallery image');
    const { notice } = useGenerateStore.getState();
    expect(useGenerateStore.getState()).toMatchObject({ seed: '1234', seedLocked: true });
    expect(notice?.text).toContain('Its seed 1234 is locked');
    expect(notice?.action?.label).toBe('Use a random seed');
    notice?.action?.run();
    expect(useGenerateStore.getState()).toMatchObject({ seedLocked: false, notice: null });
    expect(useGenerateStore.getState().takeRequest()).not.toHaveProperty('seed');
  });
});
