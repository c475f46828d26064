import type { AppInfo } from '../../src-preload/api';
import { galleryDir, modelsDir, type AppPaths } from './app-paths';
import { EventBus } from './events';
import { SettingsStore, toPublicSettings } from './settings/settings-store';

export interface EaselOptions {
  paths: AppPaths;
  host: AppInfo['host'];
  version: string;
  log?: (line: string) => void;
}

/** The application core: every service, built once per app run, shared by whichever host serves it. */
export class Easel {
  readonly events = new EventBus();
  readonly settings: SettingsStore;

  constructor(readonly options: EaselOptions) {
    this.settings = new SettingsStore({
      dataDir: options.paths.data,
      onRecovered: ({ movedTo, reason }) =>
        options.log?.(`Settings file was unreadable (${reason}); kept it as ${movedTo} and started from defaults.`),
    });
    this.settings.onChange((settings) => this.events.emit('settings.changed', toPublicSettings(settings)));
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
