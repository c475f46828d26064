import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  settingsSchema,
  type PublicSettings,
  type Settings,
  storedSettingsPatchSchema,
  type StoredSettingsPatch,
} from '../../../src-preload/api';
import { EaselError } from '../errors';
import { writeJsonAtomic } from '../fs/atomic';

export interface SettingsStoreOptions {
  /** The folder holding settings.json. */
  dataDir: string;
  clock?: () => Date;
  /** Told once when a corrupt settings file was moved aside, so the app can say so. */
  onRecovered?: (info: { movedTo: string; reason: string }) => void;
}

type Listener = (settings: Settings) => void;

/**
 * Settings persisted as JSON in the data folder. A file that cannot be read as valid settings never
 * crashes the app: it is kept aside as `settings.corrupt-<time>.json` and the defaults are used.
 */
export class SettingsStore {
  readonly file: string;
  private loaded: Promise<Settings> | null = null;
  private readonly listeners = new Set<Listener>();
  /** Updates run one after another, each on the result of the last, so none is lost. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SettingsStoreOptions) {
    this.file = path.join(options.dataDir, 'settings.json');
  }

  get(): Promise<Settings> {
    if (!this.loaded) {
      const loading = this.load();
      this.loaded = loading;
      // A read that failed (a locked file, a busy disk) is tried again next time, not remembered.
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = null;
      });
    }
    return this.loaded;
  }

  update(patch: StoredSettingsPatch): Promise<Settings> {
    const parsed = storedSettingsPatchSchema.safeParse(patch);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]?.message ?? 'invalid';
      return Promise.reject(new EaselError('invalid_request', `Settings not changed: ${reason}`));
    }
    const run = this.queue.then(async () => {
      const current = await this.get();
      const next = settingsSchema.parse({ ...current, ...parsed.data, ...tokenForHub(current, parsed.data) });
      await writeJsonAtomic(this.file, next);
      this.loaded = Promise.resolve(next);
      for (const listener of this.listeners) listener(next);
      return next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async load(): Promise<Settings> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return settingsSchema.parse({});
      throw new EaselError('io', `Could not read settings from ${this.file}: ${(error as Error).message}`);
    }
    let reason: string;
    try {
      const parsed = settingsSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      reason = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    } catch (error) {
      reason = (error as Error).message;
    }
    const stamp = (this.options.clock?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const movedTo = path.join(this.options.dataDir, `settings.corrupt-${stamp}.json`);
    await fs.rename(this.file, movedTo);
    this.options.onRecovered?.({ movedTo, reason });
    return settingsSchema.parse({});
  }
}

/**
 * The access token was given for one hub: a new hub address forgets it (unless the same change sets a new
 * one), so a changed address can never receive the old token.
 */
function tokenForHub(current: Settings, patch: StoredSettingsPatch): Partial<Settings> {
  const hubChanged = patch.hubEndpoint !== undefined && patch.hubEndpoint !== current.hubEndpoint;
  return hubChanged && patch.hubToken === undefined ? { hubToken: '' } : {};
}

export function toPublicSettings(settings: Settings): PublicSettings {
  const { hubToken, ...rest } = settings;
  return { ...rest, hubTokenSet: hubToken.length > 0 };
}
