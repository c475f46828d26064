import type { AppInfo } from '../../src-preload/api';
import { galleryDir, modelsDir, type AppPaths } from './app-paths';
import { EventBus } from './events';
import type { DownloaderOptions } from './models/downloader';
import { ModelsService } from './models/models-service';
import { SettingsStore, toPublicSettings } from './settings/settings-store';

export interface EaselOptions {
  paths: AppPaths;
  host: AppInfo['host'];
  version: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Tests point downloads at a local hub with short timeouts. */
  downloaderOptions?: Partial<DownloaderOptions>;
}

/** The application core: every service, built once per app run, shared by whichever host serves it. */
export class Easel {
  readonly events = new EventBus();
  readonly settings: SettingsStore;
  readonly models: ModelsService;

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
      ...(options.downloaderOptions ? { downloaderOptions: options.downloaderOptions } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** Lets running work stop cleanly: downloads pause (and resume at the next start). */
  async shutdown(): Promise<void> {
    await this.models.pauseAll();
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
}
