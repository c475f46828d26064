import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type {
  AppInfo,
  GenerateRequest,
  ImportedParameters,
  JobSummary,
  ModelSummary,
  Settings,
  StoredSettingsPatch,
  TokenCount,
  UpscaleRequest,
} from '../../src-preload/api';
import { AdaptersService } from './adapters/adapters-service';
import { embeddingDir, galleryDir, loraDir, modelsDir, type AppPaths } from './app-paths';
import { EaselError } from './errors';
import { EventBus } from './events';
import { GalleryService, toGalleryItem } from './gallery/gallery-service';
import { ImageJobs } from './jobs/image-jobs';
import { checkUpscaleSize } from './jobs/upscale-job';
import { CATALOG, DEMO_MODEL_ID, type CatalogEntry } from './models/catalog';
import type { DownloaderOptions } from './models/downloader';
import { CheckpointImports, type CheckpointImportRequest } from './models/checkpoint-imports';
import { ModelsService } from './models/models-service';
import { createPipeline, type Pipeline, type PipelineOptions } from './pipeline/create';
import { requireOfferedScheduler } from './pipeline/offered-schedulers';
import { generationParams } from './pipeline/params';
import { defaultMachineKey, ProviderHealth } from './runtime/fallback';
import { detectMachineProviders } from './runtime/providers';
import { forgetOptimizedModels, optimizedModelDir, pruneOptimizedModels } from './runtime/optimized-models';
import { SessionCache } from './runtime/session-cache';
import { SystemService } from './setup/system-service';
import { hiresUpscaler } from './upscale/hires-upscaler';
import { builtinUpscaler } from './upscale/upscale-image';
import { checkFolderNamedByPage, type FolderKind } from './settings/folder-choice';
import { SettingsStore, toPublicSettings } from './settings/settings-store';

export interface EaselOptions {
  paths: AppPaths;
  host: AppInfo['host'];
  version: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Tests point downloads at a local hub with short timeouts, and offer its models. */
  downloaderOptions?: Partial<DownloaderOptions>;
  catalog?: readonly CatalogEntry[];
  /** `app.getGPUInfo('complete')` from Electron's main process: one more view of the GPUs. */
  electronGpuInfo?: () => Promise<unknown>;
  /** The model the self-test runs; the built-in demo by default. */
  selfTestModelDir?: string;
}

/** The application core: every service, built once per app run, shared by whichever host serves it. */
export class Easel {
  readonly events = new EventBus();
  readonly settings: SettingsStore;
  readonly models: ModelsService;
  /** Single-file checkpoints being converted into models. */
  readonly checkpoints: CheckpointImports;
  readonly gallery: GalleryService;
  readonly jobs: ImageJobs;
  readonly system: SystemService;
  readonly adapters: AdaptersService;
  /** Sessions live as long as the app: a model's sessions are created once per run, not per image. */
  readonly sessions = new SessionCache();
  private pipelineBuilt: Promise<Pipeline> | null = null;
  private checkpointPipelineBuilt: Promise<Pipeline> | null = null;
  private providerHealth: Promise<ProviderHealth> | null = null;

  constructor(readonly options: EaselOptions) {
    this.settings = new SettingsStore({
      dataDir: options.paths.data,
      onRecovered: ({ movedTo, reason }) =>
        options.log?.(`Settings file was unreadable (${reason}); kept it as ${movedTo} and started from defaults.`),
    });
    this.settings.onChange((settings) => this.events.emit('settings.changed', toPublicSettings(settings)));
    this.models = new ModelsService({
      modelsDir: async () => modelsDir(options.paths, await this.settings.get()),
      builtinModelsDir: options.paths.builtinModels,
      settings: () => this.settings.get(),
      env: options.env ?? process.env,
      onChange: (model) => this.events.emit('models.changed', model),
      onModelGone: async (dir) => {
        await (this.pipelineBuilt ? (await this.pipelineBuilt).forget(dir) : this.sessions.releaseModel(dir));
        await forgetOptimizedModels(optimizedModelDir(options.paths.data), dir).catch((error: unknown) =>
          options.log?.(`Could not delete the kept optimised graphs of ${dir}: ${String(error)}`),
        );
      },
      ...(options.downloaderOptions ? { downloaderOptions: options.downloaderOptions } : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    this.checkpoints = new CheckpointImports({
      modelsDir: () => this.models.folder(),
      tokenizerDir: options.paths.clipTokenizer,
      pipeline: () => this.checkpointPipeline(),
      isIdTaken: (id) => this.models.isIdTaken(id),
      onProgress: (progress) => this.events.emit('models.importProgress', progress),
      ...(options.log ? { log: options.log } : {}),
    });
    this.gallery = new GalleryService({
      dir: async () => galleryDir(options.paths, await this.settings.get()),
      onChange: (change) => this.events.emit('gallery.changed', change),
    });
    this.adapters = new AdaptersService({
      folders: async () => {
        const settings = await this.settings.get();
        return { loras: loraDir(options.paths, settings), embeddings: embeddingDir(options.paths, settings) };
      },
    });
    this.jobs = new ImageJobs({
      pipeline: () => this.pipeline(),
      gallery: this.gallery,
      hiresUpscale: hiresUpscaler(() => this.upscalerDirs()),
      onChange: (job) => this.events.emit('jobs.changed', job),
      onRemoved: (id) => this.events.emit('jobs.removed', { id }),
    });
    this.system = new SystemService({
      dataDir: options.paths.data,
      modelsDir: async () => modelsDir(options.paths, await this.settings.get()),
      selfTestModelDir: options.selfTestModelDir ?? path.join(options.paths.builtinModels, DEMO_MODEL_ID),
      catalog: options.catalog ?? CATALOG,
      pipeline: () => this.pipeline(),
      health: () => this.health(),
      machine: defaultMachineKey(),
      machineProviders: () => detectMachineProviders(),
      ...(options.electronGpuInfo ? { electronGpuInfo: options.electronGpuInfo } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  async info(): Promise<AppInfo> {
    const settings = await this.settings.get();
    return {
      name: 'Easel',
      version: this.options.version,
      platform: process.platform,
      arch: process.arch,
      host: this.options.host,
      paths: {
        data: this.options.paths.data,
        models: modelsDir(this.options.paths, settings),
        gallery: galleryDir(this.options.paths, settings),
        loras: loraDir(this.options.paths, settings),
        embeddings: embeddingDir(this.options.paths, settings),
      },
    };
  }

  /**
   * Makes `folder` the gallery, models, LoRA or embeddings folder. One the person picked in the system's folder dialog is
   * theirs to pick; one a page named must be empty or already Easel's (checkFolderNamedByPage).
   */
  async useFolder(which: FolderKind, folder: string, chosenIn: 'dialog' | 'page'): Promise<Settings> {
    if (chosenIn === 'page') await checkFolderNamedByPage(which, folder);
    const patch: Record<FolderKind, StoredSettingsPatch> = {
      gallery: { galleryDir: folder },
      models: { modelsDir: folder },
      loras: { loraDir: folder },
      embeddings: { embeddingDir: folder },
    };
    return this.settings.update(patch[which]);
  }

  /** The gallery folder for the file manager, only while it is a folder: opening a file could run it. */
  async galleryFolderToOpen(): Promise<string> {
    const folder = (await this.info()).paths.gallery;
    if (!(await fs.stat(folder).catch(() => undefined))?.isDirectory()) {
      throw new EaselError('not_found', `The gallery folder ${folder} does not exist yet; it appears with the first image.`, { path: folder });
    }
    return folder;
  }

  /**
   * Queues a generation for a request the host has validated: the model is resolved here, once, and the seed
   * drawn when the request has none; the job carries both to the pipeline and the gallery.
   */
  async generate(request: GenerateRequest): Promise<JobSummary> {
    const model = await this.models.resolveForGeneration(request.modelId);
    // Refused now rather than when the job's turn comes.
    requireOfferedScheduler(model, request.scheduler);
    return this.jobs.enqueue({ params: generationParams(request), model, adapters: await this.adapters.sources() });
  }

  /** Settings read from a dropped PNG, its LoRAs pointed at the installed files. */
  async readParameters(base64: string): Promise<ImportedParameters> {
    return this.adapters.matchInstalled(this.gallery.readParameters(base64));
  }

  /**
   * Queues an upscale of a gallery image with the built-in upscaler for the factor, an installed one by id, or
   * Lanczos; the source, the upscaler and the result's size are checked now, not when its turn comes.
   */
  async upscale(request: UpscaleRequest): Promise<JobSummary> {
    const source = toGalleryItem((await this.gallery.current()).get(request.imageId));
    checkUpscaleSize(source, request.scale);
    const model =
      request.upscaler === 'lanczos'
        ? null
        : request.upscaler === 'auto'
          ? await builtinUpscaler(request.scale, await this.upscalerDirs())
          : await this.models.resolveUpscaler(request.upscaler);
    return this.jobs.enqueueUpscale({ source, scale: request.scale, model });
  }

  /** Where upscaler models are found: the models folder, then the built-in ones. */
  private async upscalerDirs(): Promise<string[]> {
    return [modelsDir(this.options.paths, await this.settings.get()), this.options.paths.builtinModels];
  }

  /** Converts a `.safetensors` checkpoint on this computer into a model, and announces it. */
  async importCheckpoint(file: string, request: CheckpointImportRequest = {}): Promise<ModelSummary> {
    return this.announce((await this.checkpoints.importFile(file, request)).id);
  }

  /** Converts a checkpoint a page uploaded (it could not name a path), and announces it. */
  async importUploadedCheckpoint(
    body: Readable,
    request: CheckpointImportRequest & { importId: string; fileName: string; size: number },
  ): Promise<ModelSummary> {
    return this.announce((await this.checkpoints.importUpload(body, request)).id);
  }

  private async announce(modelId: string): Promise<ModelSummary> {
    const summary = await this.models.get(modelId);
    this.events.emit('models.changed', summary);
    return summary;
  }

  async countTokens(modelId: string, prompt: string): Promise<TokenCount> {
    const { folder } = await this.models.resolveForGeneration(modelId);
    return (await this.pipeline()).countTokens(folder, prompt);
  }

  /** Lets running work stop cleanly: downloads pause (and resume at the next start), files are flushed. */
  async shutdown(): Promise<void> {
    this.checkpoints.cancelAll();
    await Promise.all([this.models.pauseAll(), this.jobs.close()]);
    await Promise.all([this.gallery.close(), this.sessions.releaseAll()]);
  }

  private health(): Promise<ProviderHealth> {
    this.providerHealth ??= ProviderHealth.open(path.join(this.options.paths.data, 'provider-health.json'));
    return this.providerHealth;
  }

  /**
   * The one pipeline of this app run, shared by generation, the token counter and the self-test (which runs
   * without fallback). Providers the self-test found broken are left out of the automatic order (a person may
   * still pick one); 'auto' means the provider chosen in Settings first.
   */
  private pipeline(): Promise<Pipeline> {
    this.pipelineBuilt ??= (async () => {
      // Before the first session starts, so no kept graph is deleted while one opens it.
      await pruneOptimizedModels(optimizedModelDir(this.options.paths.data)).catch((error: unknown) =>
        this.options.log?.(`Could not clean up the kept optimised graphs: ${String(error)}`),
      );
      return createPipeline({
        ...(await this.sharedPipelineOptions()),
        oneModelAtATime: true,
        optimizedModelDir: optimizedModelDir(this.options.paths.data),
      });
    })();
    return this.pipelineBuilt;
  }

  /**
   * The pipeline that verifies a converted checkpoint with a test image. It is not the one jobs run on, so a
   * verification never frees a running job's model or LoRAs, and it keeps no optimised graphs: the staging
   * folder it reads is renamed next, so they would never be opened again.
   */
  private checkpointPipeline(): Promise<Pipeline> {
    this.checkpointPipelineBuilt ??= (async () => createPipeline(await this.sharedPipelineOptions()))();
    return this.checkpointPipelineBuilt;
  }

  private async sharedPipelineOptions(): Promise<PipelineOptions> {
    return {
      sessions: this.sessions,
      health: await this.health(),
      providerOrder: (machineOrder) => this.system.usableProviders(machineOrder),
      preferredProvider: async () => (await this.settings.get()).preferredProvider,
      app: `Easel ${this.options.version}`,
    };
  }
}
