import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { ensureFreeSpace, existingAncestor, freeBytesOn, mountPointOf } from '../../../src-main/core/models/disk-space';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();

describe('disk space', () => {
  it('measures a folder not made yet on the nearest folder that exists', async () => {
    const dir = await tempDir();
    expect(await existingAncestor(path.join(dir, 'models', 'sd-turbo'))).toBe(dir);
    expect(await freeBytesOn(dir)).toBeGreaterThan(0);
    const mount = await mountPointOf(dir);
    expect(dir.startsWith(mount)).toBe(true);
    expect((await fsp.stat(mount)).dev).toBe((await fsp.stat(dir)).dev);
  });

  it('refuses with the sizes and the disk when too little is free, and passes when enough is', async () => {
    const dir = await tempDir();
    await ensureFreeSpace(path.join(dir, 'new'), 2_000, async () => 2_000);
    await ensureFreeSpace(dir, 0, async () => 0);
    const error = await ensureFreeSpace(path.join(dir, 'new'), 5_000_000, async (measured) => {
      expect(measured).toBe(dir);
      return 1_000;
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('disk_full');
    expect((error as EaselError).message).toBe(`Not enough disk space: 5 MB needed, 1 KB free on ${await mountPointOf(dir)}`);
  });
});
