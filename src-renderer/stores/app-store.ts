import { create } from 'zustand';
import type { AppInfo, ErrorInfo, FolderKind, PublicSettings, SettingsPatch } from '../../src-preload/api';
import { easel } from '../bridge';

export type Screen = 'generate' | 'canvas' | 'gallery' | 'models' | 'settings';

/** 'auto' collapses the sidebar to its icons in a narrow window; the toggle overrides that. */
export type SidebarMode = 'auto' | 'collapsed' | 'expanded';

interface AppState {
  screen: Screen;
  sidebar: SidebarMode;
  info: AppInfo | null;
  settings: PublicSettings | null;
  /** The last failure, shown in a banner until dismissed. */
  error: ErrorInfo | null;
  setScreen(screen: Screen): void;
  setSidebar(mode: SidebarMode): void;
  load(): Promise<void>;
  updateSettings(patch: SettingsPatch): Promise<boolean>;
  /**
   * Changes the gallery, models, LoRA or embeddings folder: the desktop app asks in the system's dialog (`path` unused);
   * a browser sends the folder the person typed and confirmed. Returns why it was refused, or null.
   */
  chooseFolder(which: FolderKind, path?: string): Promise<ErrorInfo | null>;
  dismissError(): void;
}

export const useAppStore = create<AppState>((set) => ({
  screen: 'generate',
  sidebar: 'auto',
  info: null,
  settings: null,
  error: null,
  setScreen: (screen) => set({ screen }),
  setSidebar: (sidebar) => set({ sidebar }),
  load: async () => {
    const [info, settings] = await Promise.all([easel.app.info(), easel.settings.get()]);
    if (!info.ok) return set({ error: info.error });
    if (!settings.ok) return set({ error: settings.error });
    set({ info: info.value, settings: settings.value });
  },
  updateSettings: async (patch) => {
    const result = await easel.settings.update(patch);
    if (!result.ok) {
      set({ error: result.error });
      return false;
    }
    const info = await easel.app.info();
    set({ settings: result.value, error: null, ...(info.ok ? { info: info.value } : {}) });
    return true;
  },
  chooseFolder: async (which, path) => {
    const result = await easel.settings.chooseFolder(path === undefined ? { which } : { which, path, confirmed: true });
    if (!result.ok) return result.error;
    const info = await easel.app.info();
    set({ settings: result.value.settings, ...(info.ok ? { info: info.value } : {}) });
    return null;
  },
  dismissError: () => set({ error: null }),
}));

/** Settings changed elsewhere (another window, the CLI) show up here too. */
export function followSettingsChanges(): () => void {
  return easel.subscribe('settings.changed', (settings) => useAppStore.setState({ settings }));
}
