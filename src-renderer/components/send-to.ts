/** Where a finished picture (a Generate result, a gallery image) can go next: the canvas, img2img, an upscale. */
import type { GalleryItem, UpscaleFactor } from '../../src-preload/api';
import { useAppStore } from '../stores/app-store';
import { useCanvasStore } from '../stores/canvas-store';
import { useGenerateStore } from '../stores/generate-store';
import { useJobsStore } from '../stores/jobs-store';

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

/** Queues an upscale and shows its progress on Generate. */
export async function sendToUpscale(item: GalleryItem, scale: UpscaleFactor): Promise<string | null> {
  const job = await useJobsStore.getState().enqueueUpscale({ imageId: item.id, scale });
  if (!job) return `The upscale was not queued: ${useJobsStore.getState().error?.message ?? 'no reason given'}`;
  useAppStore.getState().setScreen('generate');
  return null;
}
