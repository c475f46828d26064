import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GalleryService } from '../../../src-main/core/gallery/gallery-service';
import { useTempDirs } from '../../helpers/temp';
import { imageMeta } from './fixtures';

const tempDir = useTempDirs();

describe('GalleryService', () => {
  it('empties the trash of earlier runs when it opens the gallery, keeping undo for this run', async () => {
    const dir = await tempDir();
    const first = new GalleryService({ dir: async () => dir, onChange: () => undefined });
    const item = await first.save(new Uint8Array(8 * 8 * 3).fill(128), 8, 8, imageMeta());
    await first.delete(item.id);
    expect(await readdir(path.join(dir, '.trash'))).toContain(item.id);
    await first.undoDelete(item.id);
    await first.delete(item.id);
    await first.close();

    const next = new GalleryService({ dir: async () => dir, onChange: () => undefined });
    expect((await next.list({})).total).toBe(0);
    expect(await readdir(path.join(dir, '.trash'))).toEqual([]);
    await next.close();
  });
});
