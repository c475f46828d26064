import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FolderKind } from '../../../src-preload/api';
import { EaselError } from '../errors';
import { GALLERY_INDEX_FILE } from '../gallery/index-file';
import { MANIFEST_NAME } from '../models/manifest';

export type { FolderKind };

/** Names a person might leave in any folder without it stopping being Easel's. */
const IGNORED = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

/** What a LoRA or embeddings folder holds: the adapters and their preview pictures. */
const ADAPTER_FILE = /\.(safetensors|preview\.png)$/i;

async function isModelFolder(dir: string): Promise<boolean> {
  return (await fsp.stat(path.join(dir, MANIFEST_NAME)).catch(() => undefined))?.isFile() === true;
}

/**
 * A folder named by a page (the web host, where no folder dialog exists) may become the gallery or
 * models folder only when Easel would harm nothing there: it is missing (Easel creates it, under a
 * parent that exists), empty, or already Easel's (the gallery's index; models folders each with
 * Easel's manifest; only `.safetensors` files and their previews for LoRAs and embeddings). Anything else is refused with the reason, so the Settings screen can show it.
 */
export async function checkFolderNamedByPage(which: FolderKind, folder: string): Promise<void> {
  const label = { gallery: 'gallery', models: 'models', loras: 'LoRA', embeddings: 'embeddings' }[which];
  const stat = await fsp.stat(folder).catch(() => undefined);
  if (!stat) {
    const parent = await fsp.stat(path.dirname(folder)).catch(() => undefined);
    if (!parent?.isDirectory()) {
      throw new EaselError('not_found', `${path.dirname(folder)} does not exist, so Easel cannot make ${folder} there.`, { path: folder });
    }
    return;
  }
  if (!stat.isDirectory()) {
    throw new EaselError('invalid_request', `${folder} is a file, not a folder.`, { path: folder });
  }
  const entries = (await fsp.readdir(folder, { withFileTypes: true })).filter((entry) => !IGNORED.has(entry.name));
  if (entries.length === 0) return;
  if (which === 'gallery' && entries.some((entry) => entry.name === GALLERY_INDEX_FILE && entry.isFile())) return;
  if (which === 'models') {
    const visible = entries.filter((entry) => !entry.name.startsWith('.'));
    const owned = await Promise.all(visible.map(async (entry) => entry.isDirectory() && (await isModelFolder(path.join(folder, entry.name)))));
    if (visible.length > 0 && owned.every(Boolean)) return;
  }
  if ((which === 'loras' || which === 'embeddings') && entries.every((entry) => entry.isFile() && ADAPTER_FILE.test(entry.name))) return;
  throw new EaselError(
    'forbidden',
    `${folder} already holds files that are not Easel's. Choose an empty folder or an existing Easel ${label} folder.`,
    { path: folder },
  );
}
