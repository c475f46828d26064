import { promises as fs } from 'node:fs';
import path from 'node:path';
import type {
  DownloadPlanSummary,
  DownloadStatus,
  ModelState,
  ModelSummary,
  Settings,
  VerifySummary,
} from '../../../src-preload/api';
import { EaselError, toErrorInfo } from '../errors';
import { formatProgress } from '../format';
import { CATALOG, type CatalogEntry, type ModelFamily, type TinyDecoderLine } from './catalog';
import { freeBytesOn, volumeName } from './disk-space';
import { Downloader, type DownloadEvent, type DownloaderOptions, type DownloadRequest } from './downloader';
import { proxySettingsFromEnv } from './http';
import { offeredSchedulers } from '../pipeline/offered-schedulers';
import type { GenerationModel } from '../pipeline/types';
import { ModelFolderCache, readTinyDecoderFolder } from './model-folder';
import { requireModelFolderTopLevel } from './import-guard';
import { ModelStore, type InstalledModel } from './store';
import type { UpscaleModel } from '../upscale/upscale-image';

export interface ModelsServiceOptions {
  /** Where models go now (the settings may move it). */
  modelsDir: () => Promise<string>;
  builtinModelsDir: string;
  settings: () => Promise<Settings>;
  env: NodeJS.ProcessEnv;
  /** Told about every change a window should show: progress, state, errors. */
  onChange: (model: ModelSummary) => void;
  catalog?: readonly CatalogEntry[];
  /** Told before a model's folder is deleted, so nothing keeps using what was loaded from it. */
  onModelGone?: (dir: string) => Promise<void>;
  /** Tests pass short timeouts and a local CA here. */
  downloaderOptions?: Partial<DownloaderOptions>;
  log?: (line: string) => void;
}

interface ActiveDownload {
  cancel: AbortController;
  pause: AbortController;
  status: DownloadStatus;
  done: Promise<void>;
}

const STATE_OF_INSTALLED: Record<InstalledModel['state'], ModelState> = {
  complete: 'installed',
  partial: 'partial',
  corrupt: 'corrupt',
  'missing-files': 'missing-files',
};

/**
 * What the Models screen and the CLI need from the model store and the downloader together: one list of
 * every model Easel offers or has, downloads that run in the background and report as they go, and
 * the answers a person needs before saying yes to a download.
 */
export class ModelsService {
  private readonly catalog: readonly CatalogEntry[];
  private readonly active = new Map<string, ActiveDownload>();
  /** Paused and failed downloads are remembered until the next attempt, so the list can say where they stopped. */
  private readonly stopped = new Map<string, DownloadStatus>();
  private readonly notices = new Map<string, Promise<void>>();
  private readonly starting = new Set<string>();
  /** Models folders already cleared of what crashed removes and imports left behind. */
  private readonly tidied = new Set<string>();
  private readonly folders = new ModelFolderCache();

  constructor(private readonly options: ModelsServiceOptions) {
    this.catalog = options.catalog ?? CATALOG;
  }

  async store(): Promise<ModelStore> {
    const modelsDir = await this.options.modelsDir();
    const store = new ModelStore({ modelsDir, builtinModelsDir: this.options.builtinModelsDir, catalog: this.catalog });
    if (!this.tidied.has(modelsDir)) {
      this.tidied.add(modelsDir);
      await store.removeLeftovers();
    }
    return store;
  }

  async list(): Promise<ModelSummary[]> {
    const installed = await (await this.store()).list();
    const byId = new Map(installed.map((model) => [model.id, model]));
    const addons = tinyDecoderLines(installed);
    const summaries = this.catalog
      .filter((entry) => entry.source.kind === 'huggingface' || byId.has(entry.id))
      .map((entry) => this.summarise(entry.id, entry, byId.get(entry.id), addons));
    for (const model of installed) {
      if (!this.catalog.some((entry) => entry.id === model.id)) summaries.push(this.summarise(model.id, undefined, model, addons));
    }
    return summaries;
  }

  async get(id: string): Promise<ModelSummary> {
    const entry = this.catalog.find((candidate) => candidate.id === id);
    const installed = await (await this.store()).get(id);
    if (!entry && !installed) throw new EaselError('not_found', `Easel has no model called ${JSON.stringify(id)}.`, { id });
    return this.summarise(id, entry, installed, tinyDecoderLines(await this.installedTinyDecoders()));
  }

  /** A model ready for the pipeline: its folder read and checked, with its name; a clear error when it cannot be used yet. */
  async resolveForGeneration(id: string): Promise<GenerationModel> {
    const installed = await (await this.store()).get(id);
    if (!installed) {
      throw new EaselError('not_found', `The model ${id} is not installed. Download it from the Models screen first.`, { id });
    }
    if (installed.state !== 'complete') {
      throw new EaselError(
        'model_invalid',
        `${installed.displayName} is not ready (${installed.state.replace('-', ' ')}). Open Models to finish or repair it.`,
        { id, state: installed.state },
      );
    }
    if (installed.family === 'upscaler') {
      throw new EaselError('invalid_request', `${installed.displayName} is an upscaler: it enlarges pictures and cannot make one from a prompt.`, { id });
    }
    if (installed.family === 'tiny-decoder') {
      throw new EaselError('invalid_request', `${installed.displayName} is a tiny decoder: it speeds up the models of its family and cannot make a picture itself.`, { id });
    }
    const schedulers = installed.catalog?.schedulers;
    const folder = await this.folders.read(installed.dir);
    const addon = folder.parts.vae_decoder_tiny === undefined ? await this.tinyDecoderAddon(folder.xl ? 'sdxl' : 'sd') : null;
    return {
      id,
      name: installed.displayName,
      folder,
      ...(schedulers === undefined ? {} : { schedulers }),
      ...(addon === null ? {} : { tinyDecoderAddon: addon }),
    };
  }

  /** The installed tiny decoder add-on for this latent space, its file checked; null when none is installed and complete. */
  private async tinyDecoderAddon(line: TinyDecoderLine) {
    const installed = (await this.installedTinyDecoders()).find((model) => model.state === 'complete' && model.catalog?.tinyDecoderFor === line);
    return installed === undefined ? null : readTinyDecoderFolder(installed.dir);
  }

  /** The catalog's tiny decoder add-ons that are on disk, looked up by id (cheaper than listing every model). */
  private async installedTinyDecoders(): Promise<InstalledModel[]> {
    const store = await this.store();
    const found = await Promise.all(this.catalog.filter((entry) => entry.family === 'tiny-decoder').map((entry) => store.get(entry.id)));
    return found.filter((model): model is InstalledModel => model !== undefined);
  }

  /** An installed upscaler, ready to enlarge with; a clear error when the id names none or it is not ready. */
  async resolveUpscaler(id: string): Promise<UpscaleModel> {
    const installed = await (await this.store()).get(id);
    if (installed?.family !== 'upscaler') {
      const offered = this.catalog.some((entry) => entry.id === id && entry.family === 'upscaler');
      throw new EaselError(
        'not_found',
        offered
          ? `upscaler: ${id} is not downloaded yet. Download it from the Models screen first.`
          : `upscaler: no upscaler called ${JSON.stringify(id)} is installed (Models lists them).`,
        { field: 'upscaler', id },
      );
    }
    if (installed.state !== 'complete') {
      throw new EaselError('model_invalid', `upscaler: ${installed.displayName} is not ready (${installed.state.replace('-', ' ')}). Open Models to finish or repair it.`, {
        field: 'upscaler',
        id,
        state: installed.state,
      });
    }
    return { dir: installed.dir, name: installed.displayName };
  }

  /**
   * What a download would take, by the catalog's sizes and what is on disk: the question before a
   * download never waits on the hub, so it answers at once offline too (the hub's exact sizes are
   * checked when the download runs).
   */
  async plan(id: string): Promise<DownloadPlanSummary> {
    const request = await this.downloadRequest(id);
    const downloader = await this.downloader();
    const plan = await downloader.estimate(request);
    // The models folder, not the model's own: planning must not make a model look half-downloaded.
    const modelsFolder = path.dirname(request.destDir);
    await fs.mkdir(modelsFolder, { recursive: true });
    return {
      id,
      totalBytes: plan.totalBytes,
      remainingBytes: plan.remainingBytes,
      freeBytes: await freeBytesOn(modelsFolder),
      folder: request.destDir,
      volume: await volumeName(modelsFolder),
    };
  }

  /** Starts (or resumes) a download in the background; progress arrives through onChange. */
  async download(id: string): Promise<ModelSummary> {
    if (this.active.has(id) || this.starting.has(id)) return this.get(id);
    // Two windows (or a double click) asking at once must not start two writers on the same files.
    this.starting.add(id);
    let request: DownloadRequest;
    let downloader: Downloader;
    try {
      request = await this.downloadRequest(id);
      downloader = await this.downloader();
    } finally {
      this.starting.delete(id);
    }
    const cancel = new AbortController();
    const pause = new AbortController();
    const status: DownloadStatus = {
      state: 'starting',
      bytes: 0,
      totalBytes: 0,
      bytesPerSecond: 0,
      etaSeconds: null,
      message: 'Starting…',
      error: null,
    };
    this.stopped.delete(id);
    const done = downloader
      .download({ ...request, signal: cancel.signal, pauseSignal: pause.signal, onEvent: (event) => this.onEvent(id, event) })
      .then(
        () => {
          status.state = 'done';
        },
        (error: unknown) => {
          const info = toErrorInfo(error);
          if (info.code === 'cancelled' && (info.detail as { paused?: boolean } | undefined)?.paused) {
            status.state = 'paused';
            status.message = `Paused at ${formatProgress(status.bytes, status.totalBytes)}`;
            this.stopped.set(id, { ...status, bytesPerSecond: 0, etaSeconds: null });
          } else if (info.code !== 'cancelled') {
            status.state = 'failed';
            status.message = info.message;
            status.error = info;
            this.stopped.set(id, { ...status, bytesPerSecond: 0, etaSeconds: null });
          }
        },
      )
      .finally(() => {
        this.active.delete(id);
        void this.notify(id);
      });
    this.active.set(id, { cancel, pause, status, done });
    void this.notify(id);
    return this.get(id);
  }

  async pause(id: string): Promise<ModelSummary> {
    const download = this.requireActive(id);
    download.pause.abort();
    await download.done;
    return this.get(id);
  }

  async cancel(id: string): Promise<ModelSummary> {
    const download = this.active.get(id);
    if (download) {
      download.cancel.abort();
      await download.done;
    } else {
      // A paused or failed download keeps its partial files until cancelled.
      await (await this.downloader()).removePartials(await this.downloadRequest(id));
      this.stopped.delete(id);
    }
    return this.get(id);
  }

  async remove(id: string): Promise<ModelSummary | null> {
    if (this.active.has(id)) await this.cancel(id);
    const store = await this.store();
    const installed = await store.get(id);
    if (installed) {
      this.folders.forget(installed.dir);
      await this.options.onModelGone?.(installed.dir);
    }
    await store.remove(id);
    this.stopped.delete(id);
    const entry = this.catalog.find((candidate) => candidate.id === id);
    if (!entry) return null;
    const summary = this.summarise(id, entry, undefined);
    this.options.onChange(summary);
    return summary;
  }

  async verify(id: string): Promise<VerifySummary> {
    const report = await (await this.store()).verify(id);
    void this.notify(id);
    return {
      id,
      ok: report.ok,
      problems: report.problems.map(({ file, problem, message }) =>
        problem === 'missing'
          ? `${file} is missing`
          : problem === 'unreadable'
            ? (message ?? `${file} cannot be read as a model`)
            : `${file} does not match what was downloaded (${problem})`,
      ),
    };
  }

  async importFolder(folder: string, mode: 'copy' | 'reference'): Promise<ModelSummary> {
    await requireModelFolderTopLevel(folder);
    const model = await (await this.store()).importFolder(folder, { mode });
    const summary = this.summarise(model.id, undefined, model);
    this.options.onChange(summary);
    return summary;
  }

  /** The models folder, once cleared of what a crash left behind: new work may stage in it after that. */
  async folder(): Promise<string> {
    return (await this.store()).modelsDir;
  }

  /** True when a model of this id is installed or in the catalog, so a new one must take another. */
  async isIdTaken(id: string): Promise<boolean> {
    return this.catalog.some((entry) => entry.id === id) || (await (await this.store()).get(id)) !== undefined;
  }

  /** Waits for every running download; the app calls this before it quits. */
  async pauseAll(): Promise<void> {
    for (const download of this.active.values()) download.pause.abort();
    await Promise.all([...this.active.values()].map((download) => download.done));
  }

  private requireActive(id: string): ActiveDownload {
    const download = this.active.get(id);
    if (!download) throw new EaselError('invalid_request', `Nothing is downloading for ${id}.`, { id });
    return download;
  }

  private async downloader(): Promise<Downloader> {
    const settings = await this.options.settings();
    return new Downloader({
      hubEndpoint: settings.hubEndpoint,
      token: settings.hubToken,
      proxies: proxySettingsFromEnv(this.options.env),
      ...(this.options.log ? { log: this.options.log } : {}),
      ...this.options.downloaderOptions,
    });
  }

  private async downloadRequest(id: string): Promise<DownloadRequest> {
    const entry = this.catalog.find((candidate) => candidate.id === id);
    if (!entry) throw new EaselError('not_found', `Easel offers no model called ${JSON.stringify(id)}.`, { id });
    if (entry.source.kind !== 'huggingface') {
      throw new EaselError('invalid_request', `${entry.displayName} comes with Easel; there is nothing to download.`, { id });
    }
    return {
      modelId: entry.id,
      displayName: entry.displayName,
      family: entry.family,
      repo: entry.source.repo,
      revision: entry.source.revision,
      files: entry.files.map((file) => ({
        path: file.path,
        approxBytes: file.approxBytes,
        ...(file.bytes !== undefined ? { bytes: file.bytes } : {}),
        ...(file.sha256 ? { sha256: file.sha256 } : {}),
      })),
      destDir: (await this.store()).modelDir(entry.id),
    };
  }

  private onEvent(id: string, event: DownloadEvent): void {
    const download = this.active.get(id);
    if (!download) return;
    const { status } = download;
    if (event.type === 'plan') {
      status.totalBytes = event.plan.totalBytes;
      status.bytes = event.plan.totalBytes - event.plan.remainingBytes;
    } else if (event.type === 'progress') {
      status.state = 'downloading';
      status.bytes = event.overall.bytes;
      status.totalBytes = event.overall.total;
      status.bytesPerSecond = event.overall.bytesPerSecond;
      status.etaSeconds = event.overall.etaSeconds ?? null;
      status.message = `${formatProgress(status.bytes, status.totalBytes)}`;
    } else if (event.type === 'retry') {
      status.message = event.message;
    } else if (event.type === 'restart') {
      status.message = event.reason;
    } else if (event.type === 'complete') {
      status.bytes = event.bytes;
      status.message = 'Verified and installed';
    } else {
      return;
    }
    void this.notify(id);
  }

  /**
   * Tells the windows about a model. Notices go out one after another per model, each describing the
   * model as it is when its turn comes, so a slow early notice can never land after the final state.
   */
  private notify(id: string): Promise<void> {
    const next = (this.notices.get(id) ?? Promise.resolve()).then(async () => {
      try {
        this.options.onChange(await this.get(id));
      } catch (error) {
        this.options.log?.(`models: could not describe ${id}: ${(error as Error).message}`);
      }
    });
    this.notices.set(id, next);
    void next.then(() => {
      if (this.notices.get(id) === next) this.notices.delete(id);
    });
    return next;
  }

  private summarise(
    id: string,
    entry: CatalogEntry | undefined,
    installed: InstalledModel | undefined,
    addons: ReadonlySet<TinyDecoderLine> = new Set(),
  ): ModelSummary {
    const catalogEntry = entry ?? installed?.catalog;
    const download = this.active.get(id)?.status ?? this.stopped.get(id) ?? null;
    let state: ModelState = installed ? STATE_OF_INSTALLED[installed.state] : 'available';
    if (download?.state === 'failed') state = 'failed';
    else if (download && download.state !== 'done') state = download.state === 'paused' ? 'paused' : 'downloading';
    else if (state === 'partial' && !download) state = 'paused';
    return {
      id,
      name: catalogEntry?.displayName ?? installed?.displayName ?? id,
      description: catalogEntry?.description ?? 'Imported from a folder on this computer.',
      family: catalogEntry?.family ?? installed?.family ?? 'sd15',
      inpainting: catalogEntry?.inpainting ?? installed?.inpainting ?? false,
      tinyDecoder: (installed?.tinyDecoder ?? false) || (installed !== undefined && addonLineOf(installed.family) !== null && addons.has(addonLineOf(installed.family)!)),
      upscaleFactor: catalogEntry?.upscaleFactor ?? null,
      origin: catalogEntry?.source.kind === 'builtin' ? 'builtin' : catalogEntry ? 'catalog' : 'imported',
      state,
      readOnly: installed?.readOnly ?? false,
      sizeBytes: installed?.state === 'complete' ? installed.bytes : (catalogEntry?.approxTotalBytes ?? installed?.bytes ?? 0),
      defaults: catalogEntry?.defaults ?? { scheduler: 'euler-a', steps: 25, guidance: 7, width: 512, height: 512 },
      schedulers: offeredSchedulers(catalogEntry?.schedulers),
      requirements: catalogEntry?.requirements ?? null,
      licence: catalogEntry?.licence ?? null,
      capabilities: catalogEntry?.capabilities ?? null,
      download: download ? { ...download } : null,
    };
  }
}

/** The latent spaces whose tiny decoder add-on is installed and complete. */
function tinyDecoderLines(installed: readonly InstalledModel[]): ReadonlySet<TinyDecoderLine> {
  const lines = installed
    .filter((model) => model.state === 'complete' && model.family === 'tiny-decoder')
    .flatMap((model) => (model.catalog?.tinyDecoderFor === undefined ? [] : [model.catalog.tinyDecoderFor]));
  return new Set(lines);
}

/**
 * The add-on a family's models decode with. LCM is counted with SD 1.x (the catalog's LCM is SD 1.5-based); the
 * pipeline decides from the folder itself, so an SDXL-based LCM import still gets TAESDXL there.
 */
function addonLineOf(family: ModelFamily): TinyDecoderLine | null {
  if (family === 'sdxl' || family === 'sdxl-turbo') return 'sdxl';
  if (family === 'sd15' || family === 'sd21' || family === 'sd-turbo' || family === 'lcm') return 'sd';
  return null;
}
