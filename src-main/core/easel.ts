import path from 'node:path';
import type { AppInfo, GenerateRequest, JobSummary, TokenCount } from '../../src-preload/api';
import { galleryDir, modelsDir, type AppPaths } from './app-paths';
import { EventBus } from './events';
import { GalleryService } from './gallery/gallery-service';
import { GenerationJobs } from './jobs/generation-jobs';
import { CATALOG, DEMO_MODEL_ID, type CatalogEntry } from './models/catalog';
import type { DownloaderOptions } from './models/downloader';
import { ModelsService } from './models/models-service';
import { TextToImage } from './pipeline/generate';
import { defaultMachineKey, ProviderHealth } from './runtime/fallback';
import { detectMachineProviders, physicalCoreCount, providerOrder } from './runtime/providers';
import { SessionCache } from './runtime/session-cache';
import { SystemService } from './setup/system-service';
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
  readonly gallery: GalleryService;
  readonly jobs: GenerationJobs;
  readonly system: SystemService;
  /** Sessions live as long as the app: a model's sessions are created once per run, not per image. */
  readonly sessions = new SessionCache();
  private pipeline: Promise<TextToImage> | null = null;
  private selfTestPipeline: Promise<TextToImage> | null = null;
  private providerHealth: Promise<ProviderHealth> | null = null;
  /** The model the last generation used: its sessions are released when another model's turn comes. */
  private lastModelDir: string | null = null;

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
        if (this.lastModelDir === dir) this.lastModelDir = null;
        await (this.pipeline ? (await this.pipeline).forget(dir) : this.sessions.releaseModel(dir));
      },
      ...(options.downloaderOptions ? { downloaderOptions: options.downloaderOptions } : {}),
      ...(options.catalog ? { catalog: options.catalog } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    this.gallery = new GalleryService({
      dir: async () => galleryDir(options.paths, await this.settings.get()),
      onChange: (change) => this.events.emit('gallery.changed', change),
    });
    this.jobs = new GenerationJobs({
      pipeline: () => this.textToImage(),
      gallery: this.gallery,
      resolveModel: async (id) => {
        const model = await this.models.resolveForGeneration(id);
        // One model's sessions on the GPU at a time: switching models frees the previous one's memory.
        if (this.lastModelDir !== null && this.lastModelDir !== model.dir) await this.sessions.releaseModel(this.lastModelDir);
        this.lastModelDir = model.dir;
        return { dir: model.dir, name: model.displayName };
      },
      onChange: (job) => this.events.emit('jobs.changed', job),
      onRemoved: (id) => this.events.emit('jobs.removed', { id }),
    });
    this.system = new SystemService({
      dataDir: options.paths.data,
      modelsDir: async () => modelsDir(options.paths, await this.settings.get()),
      selfTestModelDir: options.selfTestModelDir ?? path.join(options.paths.builtinModels, DEMO_MODEL_ID),
      catalog: options.catalog ?? CATALOG,
      pipeline: () => this.pipelineForSelfTest(),
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
      },
    };
  }

  /** Queues a generation; 'auto' means the provider the person chose in Settings, if any. */
  async generate(request: GenerateRequest): Promise<JobSummary> {
    await this.models.resolveForGeneration(request.modelId);
    const { preferredProvider } = await this.settings.get();
    return this.jobs.enqueue(request.provider === 'auto' ? { ...request, provider: preferredProvider } : request);
  }

  async countTokens(modelId: string, prompt: string): Promise<TokenCount> {
    const model = await this.models.resolveForGeneration(modelId);
    const tokenizer = await (await this.textToImage()).tokenizer(path.join(model.dir, 'tokenizer'));
    return tokenizer.countTokens(prompt);
  }

  /** Lets running work stop cleanly: downloads pause (and resume at the next start), files are flushed. */
  async shutdown(): Promise<void> {
    await Promise.all([this.models.pauseAll(), this.jobs.close()]);
    await Promise.all([this.gallery.close(), this.sessions.releaseAll()]);
  }

  private health(): Promise<ProviderHealth> {
    this.providerHealth ??= ProviderHealth.open(path.join(this.options.paths.data, 'provider-health.json'));
    return this.providerHealth;
  }

  /** Providers the self-test found broken are left out of the automatic order (a person may still pick one). */
  private textToImage(): Promise<TextToImage> {
    this.pipeline ??= (async () => {
      const order = providerOrder(detectMachineProviders());
      return new TextToImage({
        sessions: this.sessions,
        providerOrder: () => this.system.usableProviders(order),
        health: await this.health(),
        sessionOptions: { cpuThreads: await physicalCoreCount() },
        app: `Easel ${this.options.version}`,
      });
    })();
    return this.pipeline;
  }

  /** The self-test's pipeline: no order of its own, so each request runs on the provider it names or not at all. */
  private pipelineForSelfTest(): Promise<TextToImage> {
    this.selfTestPipeline ??= (async () =>
      new TextToImage({
        sessions: this.sessions,
        providerOrder: () => [],
        health: await this.health(),
        sessionOptions: { cpuThreads: await physicalCoreCount() },
        app: `Easel ${this.options.version} self-test`,
      }))();
    return this.selfTestPipeline;
  }
}
