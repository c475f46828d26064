import type { GalleryItem, ImageMetadata, JobProgress } from '../../../src-preload/api';
import { EaselError } from '../errors';
import type { GalleryService } from '../gallery/gallery-service';
import { decodeRgb, MAX_UPSCALED_SIDE, type UpscaleFactor, type UpscaleModel, upscaleRgb, LANCZOS } from '../upscale/upscale-image';

/** What one upscale job makes: a gallery image enlarged by a factor, with a model or (null) Lanczos. */
export interface UpscaleWork {
  source: GalleryItem;
  scale: UpscaleFactor;
  model: UpscaleModel | null;
}

/** Refuses, before the job is queued, a result past the largest side Easel writes. */
export function checkUpscaleSize(source: GalleryItem, scale: UpscaleFactor): void {
  const width = source.width * scale;
  const height = source.height * scale;
  if (width > MAX_UPSCALED_SIDE || height > MAX_UPSCALED_SIDE) {
    throw new EaselError(
      'invalid_request',
      `scale: ${source.width}×${source.height} enlarged ${scale}× would be ${width}×${height}; at most ${MAX_UPSCALED_SIDE} px a side. Choose 2× or a smaller image.`,
      { field: 'scale', width, height, max: MAX_UPSCALED_SIDE },
    );
  }
}

export function upscalerName(work: UpscaleWork): string {
  return work.model?.name ?? LANCZOS;
}

/**
 * Runs one upscale: the source PNG is read from the gallery, enlarged tile by tile (each tile reported as a step),
 * and saved next to it with the source's parameters, the upscale fields and a link to the source.
 */
export async function runUpscale(
  work: UpscaleWork,
  gallery: GalleryService,
  context: { onProgress(progress: JobProgress): void; signal: AbortSignal },
  clock: () => number,
): Promise<GalleryItem> {
  const started = clock();
  const { bytes } = await gallery.file(work.source.id);
  const source = await decodeRgb(bytes);
  const report = (done: number, total: number) => {
    const elapsedMs = clock() - started;
    context.onProgress({
      image: 0,
      count: 1,
      step: done,
      totalSteps: total,
      elapsedMs,
      etaMs: done > 0 ? (elapsedMs / done) * (total - done) : null,
      provider: 'cpu',
      preview: null,
    });
  };
  const { image, upscaler } = await upscaleRgb(source, work.scale, work.model, { signal: context.signal, onTile: report });
  if (context.signal.aborted) throw new EaselError('cancelled', 'The upscale was cancelled.');
  if (work.model === null) report(1, 1);
  const totalMs = clock() - started;
  const meta: ImageMetadata = {
    ...work.source.meta,
    upscale: { scale: work.scale, upscaler },
    sourceImage: work.source.id,
    provider: 'cpu',
    timings: { totalMs, textEncodeMs: 0, denoiseMs: 0, decodeMs: 0, perStepMs: 0 },
    notes: [],
    createdAt: new Date(clock()).toISOString(),
  };
  return gallery.save(image.data, image.width, image.height, meta);
}
