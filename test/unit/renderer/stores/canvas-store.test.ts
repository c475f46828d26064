import { fake, galleryItem, ioError, job, model, ok } from './fake-easel';
import { beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from '../../../../src-renderer/stores/app-store';
import { noOutpaint, useCanvasStore } from '../../../../src-renderer/stores/canvas-store';
import { useGenerateStore } from '../../../../src-renderer/stores/generate-store';
import { useJobsStore } from '../../../../src-renderer/stores/jobs-store';

const sd15 = model('sd15');
const inpainting = model('sd15-inpainting', { inpainting: true });
const PNG = 'iVBORw0KGgo=';

beforeEach(() => {
  fake.reset();
  useCanvasStore.setState(useCanvasStore.getInitialState(), true);
  useGenerateStore.setState(useGenerateStore.getInitialState(), true);
  useAppStore.setState(useAppStore.getInitialState(), true);
  useJobsStore.setState(useJobsStore.getInitialState(), true);
  useGenerateStore.setState({ models: [sd15, inpainting], modelsLoaded: true, modelId: 'sd15', steps: 12, guidance: 6, scheduler: 'ddim' });
  fake.answer('gallery.image', (request) => ok({ id: request.id, dataUrl: `data:image/png;base64,${PNG}` }));
  fake.answer('jobs.enqueue', (request) => ok(job('edit-1', { kind: 'inpaint', request: { ...request, seed: '7', strength: request.initImage?.strength ?? null } })));
  fake.answer('upscale.enqueue', () => ok(job('upscale-1', { kind: 'upscale' })));
});

async function openPicture(): Promise<void> {
  const item = galleryItem('2026-01-01_harbour.png', { width: 64, height: 72 });
  expect(await useCanvasStore.getState().openGalleryImage({ ...item, meta: { ...item.meta, prompt: 'a harbour' } })).toBe(true);
}

describe('the canvas store', () => {
  it('opens a gallery image on the Canvas screen with its prompt', async () => {
    await openPicture();
    expect(useAppStore.getState().screen).toBe('canvas');
    expect(useCanvasStore.getState()).toMatchObject({
      image: { id: '2026-01-01_harbour.png', url: `data:image/png;base64,${PNG}`, width: 64, height: 72 },
      prompt: 'a harbour',
      modelId: 'sd15',
    });
  });

  it('says why an image could not be opened', async () => {
    fake.fail('gallery.image', ioError);
    expect(await useCanvasStore.getState().openGalleryImage(galleryItem('gone.png'))).toBe(false);
    expect(useCanvasStore.getState().message).toContain('The disk said no.');
  });

  it('queues an inpaint with the mask, the options and the source, which the contract accepts', async () => {
    await openPicture();
    useCanvasStore.getState().update({ strength: 0.6, maskBlur: 8, inpaintArea: 'masked', maskPadding: 16, fill: 'noise' });
    expect(await useCanvasStore.getState().edit('bWFzaw==')).toBe(true);
    const [request] = fake.requests('jobs.enqueue');
    expect(request).toMatchObject({ modelId: 'sd15', prompt: 'a harbour', width: 64, height: 72, steps: 12, guidance: 6, scheduler: 'ddim', count: 1 });
    expect(request?.initImage).toEqual({
      data: PNG,
      strength: 0.6,
      mask: 'bWFzaw==',
      maskBlur: 8,
      inpaintArea: 'masked',
      maskPadding: 16,
      fill: 'noise',
      sourceId: '2026-01-01_harbour.png',
    });
    expect(useAppStore.getState().screen).toBe('generate');
    expect(useJobsStore.getState().focusId).toBe('edit-1');
  });

  it('extends the picture by the handle step up to the contract’s limit, and asks for the larger size', async () => {
    await openPicture();
    useCanvasStore.getState().update({ extendBy: 512 });
    useCanvasStore.getState().extend('left');
    useCanvasStore.getState().extend('left');
    useCanvasStore.getState().extend('left');
    useCanvasStore.getState().extend('bottom');
    expect(useCanvasStore.getState().outpaint).toEqual({ ...noOutpaint, left: 1024, bottom: 512 });
    useCanvasStore.getState().update({ outpaint: { ...noOutpaint, right: 64 }, modelId: 'sd15-inpainting' });
    expect(await useCanvasStore.getState().edit(null)).toBe(true);
    const [request] = fake.requests('jobs.enqueue');
    // Another model than the form's starts from its own defaults.
    expect(request).toMatchObject({ modelId: 'sd15-inpainting', width: 128, height: 72, steps: 25, scheduler: 'euler-a' });
    expect(request?.initImage).toMatchObject({ outpaint: { left: 0, top: 0, right: 64, bottom: 0 } });
    expect(request?.initImage?.mask).toBeUndefined();
  });

  it('asks for a mask or an extension before queueing, and for sides the model can take', async () => {
    await openPicture();
    expect(await useCanvasStore.getState().edit(null)).toBe(false);
    expect(useCanvasStore.getState().message).toMatch(/^Paint over what should change/);
    useCanvasStore.setState({ image: { ...useCanvasStore.getState().image!, width: 63 } });
    expect(await useCanvasStore.getState().edit('bWFzaw==')).toBe(false);
    expect(useCanvasStore.getState().message).toContain('63×72');
    expect(fake.requests('jobs.enqueue')).toEqual([]);
  });

  it('says why the core refused an edit', async () => {
    await openPicture();
    fake.fail('jobs.enqueue', { code: 'invalid_request', message: 'mask: must have the image’s aspect ratio' });
    expect(await useCanvasStore.getState().edit('bWFzaw==')).toBe(false);
    expect(useCanvasStore.getState().message).toContain('aspect ratio');
    expect(useAppStore.getState().screen).toBe('canvas');
    // Said here, so the Generate form does not say it again.
    expect(useJobsStore.getState().error).toBeNull();
  });

  it('upscales a gallery picture, and only a gallery picture', async () => {
    await openPicture();
    useCanvasStore.getState().update({ upscaleScale: 4 });
    expect(await useCanvasStore.getState().upscale()).toBe(true);
    expect(fake.requests('upscale.enqueue')).toEqual([{ imageId: '2026-01-01_harbour.png', scale: 4, upscaler: 'auto' }]);
    useCanvasStore.getState().openImage({ id: null, url: `data:image/png;base64,${PNG}`, width: 64, height: 64, prompt: '', negativePrompt: '' });
    expect(await useCanvasStore.getState().upscale()).toBe(false);
    expect(useCanvasStore.getState().message).toMatch(/^Only gallery images/);
  });

  it('upscales with the upscaler chosen for Upscale actions', async () => {
    await openPicture();
    useGenerateStore.setState({ upscaler: 'real-esrgan-x4plus' });
    expect(await useCanvasStore.getState().upscale()).toBe(true);
    expect(fake.requests('upscale.enqueue')).toEqual([{ imageId: '2026-01-01_harbour.png', scale: 2, upscaler: 'real-esrgan-x4plus' }]);
  });
});
