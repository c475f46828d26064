import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../../src-preload/api';

export interface AppPaths {
  /** Settings, indexes, provider health: small files the app owns. */
  data: string;
  /** Where models live unless the settings name another folder. */
  defaultModels: string;
  /** Where images go unless the settings name another folder. */
  defaultGallery: string;
  /** Models shipped with the app (the built-in demo). */
  builtinModels: string;
  /** The user's LoRAs and textual-inversion embeddings (`.safetensors`), named in prompts by file name. */
  loras: string;
  embeddings: string;
  /** The CLIP BPE vocabulary shipped with the app, written into every converted checkpoint. */
  clipTokenizer: string;
}

export interface PathEnvironment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
  /** The repository (development) or the app's resources folder (packaged). */
  appRoot: string;
  packaged: boolean;
}

/** The per-user data folder, as Electron's `userData` would name it for an app called Easel. */
function platformDataDir({ env, platform, home }: PathEnvironment): string {
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Easel');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Easel');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Easel');
}

export function resolveAppPaths(where: PathEnvironment): AppPaths {
  const data = where.env.EASEL_DATA_DIR ?? platformDataDir(where);
  return {
    data,
    // In development models stay in the repository's ignored models_cache/, as the README says.
    defaultModels: where.packaged ? path.join(data, 'models') : path.join(where.appRoot, 'models_cache'),
    defaultGallery: where.env.EASEL_GALLERY_DIR ?? path.join(where.home, 'Pictures', 'Easel'),
    // Packaged, the models sit beside the asar archive (electron-builder.yml's asarUnpack), where ONNX
    // Runtime's native code can read them.
    builtinModels: path.join(where.appRoot.replace(/app\.asar$/, 'app.asar.unpacked'), 'resources', 'models'),
    loras: path.join(data, 'loras'),
    embeddings: path.join(data, 'embeddings'),
    clipTokenizer: path.join(where.appRoot, 'resources', 'tokenizers', 'clip'),
  };
}

export function currentPathEnvironment(appRoot: string, packaged: boolean): PathEnvironment {
  return { env: process.env, platform: process.platform, home: os.homedir(), appRoot, packaged };
}

export function modelsDir(paths: AppPaths, settings: Settings): string {
  return settings.modelsDir ?? paths.defaultModels;
}

export function loraDir(paths: AppPaths, settings: Settings): string {
  return settings.loraDir ?? paths.loras;
}

export function embeddingDir(paths: AppPaths, settings: Settings): string {
  return settings.embeddingDir ?? paths.embeddings;
}

export function galleryDir(paths: AppPaths, settings: Settings): string {
  return settings.galleryDir ?? paths.defaultGallery;
}
