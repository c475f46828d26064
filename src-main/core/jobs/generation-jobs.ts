import sharp from 'sharp';
import type { GalleryItem, JobProgress, JobSummary } from '../../../src-preload/api';
import type { GalleryService } from '../gallery/gallery-service';
import type { Pipeline } from '../pipeline/create';
import type { GenerationModel, GenerationParams, LatentPreview } from '../pipeline/types';
import { JobQueue, type Job } from './job-queue';

export interface GenerationJobsOptions {
  pipeline: () => Promise<Pipeline>;
  gallery: GalleryService;
  onChange: (job: JobSummary) => void;
  onRemoved: (id: string) => void;
  clock?: () => number;
}

/** What one job makes: parameters with the seed drawn, and the model resolved once when it was queued. */
export interface GenerationWork {
  params: GenerationParams;
  model: GenerationModel;
}

type GenerationJob = Job<GenerationWork, GalleryItem[], JobProgress>;

async function previewDataUrl(preview: LatentPreview): Promise<string> {
  const png = await sharp(preview.rgb, { raw: { width: preview.width, height: preview.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * Generation requests queue here and run one at a time (the GPU does one thing well); each finished
 * image is saved to the gallery straight away, and every change is told to the windows.
 */
export class GenerationJobs {
  private readonly queue: JobQueue<GenerationWork, GalleryItem[], JobProgress>;
  /** Images saved per job, kept after a cancel or failure too, so a window sees every image that was made. */
  private readonly saved = new Map<string, GalleryItem[]>();

  constructor(private readonly options: GenerationJobsOptions) {
    this.queue = new JobQueue<GenerationWork, GalleryItem[], JobProgress>({
      run: (work, context) => this.run(context.id, work, context),
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
    return this.summarise(this.queue.enqueue(work));
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
    { params, model }: GenerationWork,
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
    await pipeline.generate(params, model, {
      signal: context.signal,
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
    });
    await previewing;
    return saved;
  }

  private summarise(job: GenerationJob): JobSummary {
    const { initImage, ...params } = job.request.params;
    return {
      id: job.id,
      state: job.state,
      request: { modelId: job.request.model.id, ...params, strength: initImage?.strength ?? null },
      progress: job.progress,
      results: job.result ?? this.saved.get(job.id) ?? [],
      error: job.error ?? null,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
  }
}
