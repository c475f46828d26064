/** Where a finished picture (a Generate result, a gallery image) can go next: the canvas, img2img, an upscale. */
import type { GalleryItem, UpscaleFactor } from '../../src-preload/api';
import { useAppStore } from '../stores/app-store';
import { useCanvasStore } from '../stores/canvas-store';
import { useGenerateStore } from '../stores/generate-store';
import { useJobsStore } from '../stores/jobs-store';
import { generateNow } from './generate/GenerateForm';

/** Opens the picture on the Canvas screen for inpainting and outpainting; null when it went, else why not. */
export async function sendToCanvas(item: GalleryItem): Promise<string | null> {
  if (await useCanvasStore.getState().openGalleryImage(item)) return null;
  return useCanvasStore.getState().message;
}

/** Makes the picture the Generate form's starting image (img2img) and shows the form. */
export async function sendToImg2img(item: GalleryItem): Promise<string | null> {
  if (!(await useGenerateStore.getState().startFromGalleryImage(item.id, item.meta.prompt))) {
    return useGenerateStore.getState().notice?.text ?? 'The picture could not be used as the starting image.';
  }
  useAppStore.getState().setScreen('generate');
  return null;
}

/** Queues an upscale with the chosen upscaler (the built-in one unless another was picked) and shows its progress on Generate. */
export async function sendToUpscale(item: GalleryItem, scale: UpscaleFactor): Promise<string | null> {
  const { upscaler } = useGenerateStore.getState();
  const job = await useJobsStore.getState().enqueueUpscale({ imageId: item.id, scale, upscaler });
  if (!job) return `The upscale was not queued: ${useJobsStore.getState().takeError()}`;
  useAppStore.getState().setScreen('generate');
  return null;
}

/** Hires fix applies to a picture made from a prompt alone, not to an edit, an img2img or an upscale. */
export function canHiresFix(item: GalleryItem): boolean {
  const { meta } = item;
  return meta.strength === undefined && meta.upscale === undefined && meta.hiresScale === undefined && meta.sourceImage === undefined && !meta.placeholder;
}

/**
 * Hires fix of a result, as A1111's button does it: its own settings and seed again, with Hires fix on at the
 * form's scale and strength, so the first pass is this very picture and the second redraws it larger.
 */
export async function sendToHiresFix(item: GalleryItem): Promise<string | null> {
  const form = useGenerateStore.getState();
  await form.applyParameters(item.meta, 'the picture for Hires fix');
  if (useGenerateStore.getState().modelId !== item.meta.modelId) return `Hires fix needs the model that made the picture (${item.meta.modelName || item.meta.modelId}); it is not installed.`;
  form.clearInitImage();
  form.update({ hires: true, count: 1 });
  useAppStore.getState().setScreen('generate');
  await generateNow();
  return null;
}
