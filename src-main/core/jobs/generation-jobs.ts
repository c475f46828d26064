import sharp from 'sharp';
import type { GalleryItem, GenerateRequest, JobProgress, JobSummary } from '../../../src-preload/api';
import type { GalleryService } from '../gallery/gallery-service';
import type { TextToImage } from '../pipeline/generate';
import type { GeneratedImage, LatentPreview } from '../pipeline/types';
import { JobQueue, type Job } from './job-queue';

export interface GenerationJobsOptions {
  pipeline: () => Promise<TextToImage>;
  gallery: GalleryService;
  /** The model's folder and the name people know it by. */
  resolveModel: (modelId: string) => Promise<{ dir: string; name: string }>;
  onChange: (job: JobSummary) => void;
  onRemoved: (id: string) => void;
  clock?: () => number;
}

type GenerationJob = Job<GenerateRequest, GalleryItem[], JobProgress>;

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
  private readonly queue: JobQueue<GenerateRequest, GalleryItem[], JobProgress>;
  /** Images saved per job, kept after a cancel or failure too, so a window sees every image that was made. */
  private readonly saved = new Map<string, GalleryItem[]>();

  constructor(private readonly options: GenerationJobsOptions) {
    this.queue = new JobQueue<GenerateRequest, GalleryItem[], JobProgress>({
      run: (request, context) => this.run(context.id, request, context),
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

  enqueue(request: GenerateRequest): JobSummary {
    return this.summarise(this.queue.enqueue(request));
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

  /** Resolves when the job has finished, however it finished. */
  async wait(id: string): Promise<JobSummary> {
    return this.summarise(await this.queue.wait(id));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private async run(
    id: string,
    request: GenerateRequest,
    context: { onProgress(progress: JobProgress): void; signal: AbortSignal },
  ): Promise<GalleryItem[]> {
    const model = await this.options.resolveModel(request.modelId);
    const pipeline = await this.options.pipeline();
    const saved: GalleryItem[] = [];
    this.saved.set(id, saved);
    let latest: JobProgress | null = null;
    const report = (progress: JobProgress) => {
      latest = progress;
      context.onProgress(progress);
    };
    let previewing = Promise.resolve();
    await pipeline.generate(
      { ...request, modelId: model.dir },
      {
        signal: context.signal,
        onProgress: (progress) => {
          const base: JobProgress = {
            image: progress.image,
            count: request.count,
            step: progress.step,
            totalSteps: progress.totalSteps,
            elapsedMs: progress.elapsedMs,
            etaMs: progress.etaMs,
            provider: progress.provider,
            preview: null,
          };
          if (!request.preview || !progress.preview) {
            report(base);
            return;
          }
          const preview = progress.preview;
          // Previews are encoded off the step's path and in order; one that fails is simply not shown.
          previewing = previewing
            .then(async () => report({ ...base, preview: await previewDataUrl(preview) }))
            .catch(() => report(base));
        },
        // Each image goes to the gallery the moment it is done: a cancelled or failing batch keeps them.
        onImage: async (image) => {
          saved.push(await this.save(image, request.modelId, model.name));
          if (latest) report({ ...latest });
        },
      },
    );
    await previewing;
    return saved;
  }

  private save(image: GeneratedImage, modelId: string, modelName: string): Promise<GalleryItem> {
    return this.options.gallery.save(image.rgb, image.width, image.height, { ...image.metadata, modelId, modelName });
  }

  private summarise(job: GenerationJob): JobSummary {
    const { initImage, ...request } = job.request;
    return {
      id: job.id,
      state: job.state,
      request: { ...request, strength: initImage?.strength ?? null },
      progress: job.progress,
      results: job.result ?? this.saved.get(job.id) ?? [],
      error: job.error ?? null,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
  }
}
