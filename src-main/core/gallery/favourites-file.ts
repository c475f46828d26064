import fs from 'node:fs/promises';
import { EaselError } from '../errors';
import { fileError, writeFileAtomic } from '../fs/atomic';

/**
 * Favourite image ids (`.easel-favourites.json`): the one thing a PNG does not record, so it lives
 * beside the images and survives a rebuild of the index.
 */

export async function readFavourites(file: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw fileError(error, 'read', file);
  }
  try {
    const json: unknown = JSON.parse(text);
    const ids = (json as { favourites?: unknown } | null)?.favourites;
    return new Set(Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : []);
  } catch {
    throw new EaselError('io', `The favourites file ${file} is damaged; delete it to start with no favourites.`, {
      path: file,
    });
  }
}

export async function writeFavourites(file: string, favourites: Set<string>): Promise<void> {
  await writeFileAtomic(file, JSON.stringify({ favourites: [...favourites].sort() }, null, 1));
}
