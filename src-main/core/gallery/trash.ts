import fs from 'node:fs/promises';
import path from 'node:path';
import { EaselError } from '../errors';
import { exists, fileError, moveToFreeName, writeFileAtomic } from '../fs/atomic';
import { checkImageId } from './image-names';

/**
 * The gallery's trash (`.trash/<id>`): deleted images wait there for undo until purged. The trash
 * remembers which files it took (`.easel-trash.json`), and restores or deletes only those: a `.trash`
 * folder that was there before, or files put into it by hand, are never touched.
 */
export class Trash {
  private taken = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly ledgerFile: string,
  ) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.ledgerFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw fileError(error, 'read', this.ledgerFile);
    }
    let ids: unknown;
    try {
      ids = (JSON.parse(text) as { trashed?: unknown } | null)?.trashed;
    } catch {
      // A damaged ledger forgets what is in the trash: those files stay there rather than risk deleting others.
      ids = [];
    }
    this.taken = new Set(Array.isArray(ids) ? ids.filter((id): id is string => isTrashableId(id)) : []);
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.ledgerFile, JSON.stringify({ trashed: [...this.taken].sort() }, null, 1));
  }

  private fileOf(id: string): string {
    return path.join(this.dir, id);
  }

  /** Moves the image `source` (named `id`) into the trash; a missing source is not an error. */
  async put(source: string, id: string): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true }).catch((error: unknown) => {
      throw fileError(error, 'create', this.dir);
    });
    const trashed = this.fileOf(id);
    if (!this.taken.has(id) && (await exists(trashed))) {
      throw new EaselError(
        'io',
        `Cannot move ${id} to the trash: ${this.dir} holds a file of that name that Easel did not put there. Move that file away and delete again.`,
        { id, path: trashed },
      );
    }
    this.taken.add(id);
    await this.save();
    // A same-named image already in the trash was deleted earlier; the newer deletion replaces it.
    await fs.rm(trashed, { force: true });
    try {
      await fs.rename(source, trashed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(error, 'move to the trash', id);
    }
  }

  /** Moves `id` back to `target`, never over another file. */
  async restore(id: string, target: string): Promise<void> {
    const trashed = this.fileOf(id);
    if (!this.taken.has(id) || !(await exists(trashed))) {
      throw new EaselError('not_found', `${id} is not in the gallery's trash (it may have been emptied).`, { id });
    }
    if (!(await moveToFreeName(trashed, target))) {
      throw new EaselError('io', `Cannot restore ${id}: a different image with that name is in the gallery now.`, { id });
    }
    this.taken.delete(id);
    await this.save();
  }

  /** Deletes for good what the trash took; returns the ids whose files were still there. */
  async purge(): Promise<string[]> {
    if (this.taken.size === 0) return [];
    const purged: string[] = [];
    for (const id of this.taken) {
      const trashed = this.fileOf(id);
      if (!(await exists(trashed))) continue;
      await fs.rm(trashed, { force: true });
      purged.push(id);
    }
    this.taken.clear();
    await this.save();
    return purged;
  }
}

function isTrashableId(id: unknown): id is string {
  if (typeof id !== 'string') return false;
  try {
    checkImageId(id);
    return true;
  } catch {
    return false;
  }
}
