import sharp from 'sharp';
import type { GalleryItem, JobKind, JobProgress, JobSummary } from '../../../src-preload/api';
import type { AdapterSources } from '../adapters/adapter-cache';
import type { GalleryService } from '../gallery/gallery-service';
import type { Pipeline } from '../pipeline/create';
import { generateImages, type HiresUpscale } from '../pipeline/hires';
import type { GenerationModel, GenerationParams, LatentPreview } from '../pipeline/types';
import { JobQueue, type Job } from './job-queue';
import { runUpscale, upscalerName, type UpscaleWork } from './upscale-job';

export interface ImageJobsOptions {
  pipeline: () => Promise<Pipeline>;
  gallery: GalleryService;
  /** Hires fix's enlarging step. */
  hiresUpscale: HiresUpscale;
  onChange: (job: JobSummary) => void;
  onRemoved: (id: string) => void;
  clock?: () => number;
}

/** What one generation job makes: parameters with the seed drawn, and the model resolved once when it was queued. */
export interface GenerationWork {
  params: GenerationParams;
  model: GenerationModel;
  /** The folders the prompt's `<lora:NAME>` tags and embedding names are found in. */
  adapters?: AdapterSources;
}

/** Generations and upscales share one queue: one thing at a time on the GPU and CPU. */
type QueuedWork = ({ kind: 'generation' } & GenerationWork) | ({ kind: 'upscale' } & UpscaleWork);
type ImageJob = Job<QueuedWork, GalleryItem[], JobProgress>;

async function previewDataUrl(preview: LatentPreview): Promise<string> {
  const png = await sharp(preview.rgb, { raw: { width: preview.width, height: preview.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * Generations, edits and upscales queue here and run one at a time (the GPU does one thing well); each finished
 * image is saved to the gallery straight away, and every change is told to the windows.
 */
export class ImageJobs {
  private readonly queue: JobQueue<QueuedWork, GalleryItem[], JobProgress>;
  /** Images saved per job, kept after a cancel or failure too, so a window sees every image that was made. */
  private readonly saved = new Map<string, GalleryItem[]>();

  constructor(private readonly options: ImageJobsOptions) {
    this.queue = new JobQueue<QueuedWork, GalleryItem[], JobProgress>({
      run: (work, context) =>
        work.kind === 'upscale'
          ? runUpscale(work, options.gallery, context, options.clock ?? Date.now).then((item) => [item])
          : this.run(context.id, work, context),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.queue.onChange(({ type, job }) => {
      if (type === 'removed') {
        this.saved.delete(job.id);
        options.onRemoved(job.id);
      } else {
        options.onChange(this.summarise(job));
      }
    });
  }

  enqueue(work: GenerationWork): JobSummary {
    return this.summarise(this.queue.enqueue({ kind: 'generation', ...work }));
  }

  enqueueUpscale(work: UpscaleWork): JobSummary {
    return this.summarise(this.queue.enqueue({ kind: 'upscale', ...work }));
  }

  list(): JobSummary[] {
    return this.queue.list().map((job) => this.summarise(job));
  }

  cancel(id: string): JobSummary {
    return this.summarise(this.queue.cancel(id));
  }

  remove(id: string): { id: string } {
    this.queue.remove(id);
    return { id };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private async run(
    id: string,
    { params, model, adapters }: GenerationWork,
    context: { onProgress(progress: JobProgress): void; signal: AbortSignal },
  ): Promise<GalleryItem[]> {
    const pipeline = await this.options.pipeline();
    const saved: GalleryItem[] = [];
    this.saved.set(id, saved);
    let latest: JobProgress | null = null;
    const report = (progress: JobProgress) => {
      latest = progress;
      context.onProgress(progress);
    };
    let previewing = Promise.resolve();
    // The tiny decoder's previews repeat between decodes: the same preview is encoded once.
    let encoded: { preview: LatentPreview; url: Promise<string> } | null = null;
    const encode = (preview: LatentPreview): Promise<string> => {
      if (encoded?.preview !== preview) encoded = { preview, url: previewDataUrl(preview) };
      return encoded.url;
    };
    await generateImages(pipeline, params, model, {
      signal: context.signal,
      ...(adapters === undefined ? {} : { adapters }),
      onProgress: (progress) => {
        const base: JobProgress = {
          image: progress.image,
          count: params.count,
          step: progress.step,
          totalSteps: progress.totalSteps,
          elapsedMs: progress.elapsedMs,
          etaMs: progress.etaMs,
          provider: progress.provider,
          preview: null,
        };
        if (!params.preview || !progress.preview) {
          report(base);
          return;
        }
        const preview = progress.preview;
        // Previews are encoded off the step's path and in order; one that fails is simply not shown.
        previewing = previewing
          .then(async () => report({ ...base, preview: await encode(preview) }))
          .catch(() => report(base));
      },
      // Each image goes to the gallery the moment it is done: a cancelled or failing batch keeps them.
      onImage: async (image) => {
        saved.push(await this.options.gallery.save(image.rgb, image.width, image.height, image.metadata));
        if (latest) report({ ...latest });
      },
    }, this.options.hiresUpscale);
    await previewing;
    return saved;
  }

  private summarise(job: ImageJob): JobSummary {
    const work = job.request;
    const common = {
      id: job.id,
      state: job.state,
      progress: job.progress,
      results: job.result ?? this.saved.get(job.id) ?? [],
      error: job.error ?? null,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
    if (work.kind === 'upscale') {
      const { meta, width, height, id } = work.source;
      return {
        ...common,
        kind: 'upscale',
        request: {
          modelId: meta.modelId,
          prompt: meta.prompt,
          negativePrompt: meta.negativePrompt,
          steps: meta.steps,
          guidance: meta.guidance,
          width: width * work.scale,
          height: height * work.scale,
          scheduler: meta.scheduler,
          seed: meta.seed,
          count: 1,
          provider: 'cpu',
          preview: false,
          decoder: 'auto',
          strength: null,
        },
        upscale: { sourceId: id, scale: work.scale, upscaler: upscalerName(work) },
      };
    }
    const { initImage, ...params } = work.params;
    return {
      ...common,
      kind: generationKind(work.params),
      request: { modelId: work.model.id, ...params, strength: initImage?.strength ?? null },
      upscale: null,
    };
  }
}

/** An edit repaints part of a picture (a mask, or new area around it); everything else makes a whole new one. */
function generationKind(params: GenerationParams): JobKind {
  return params.initImage?.mask !== undefined || params.initImage?.outpaint !== undefined ? 'inpaint' : 'generate';
}
