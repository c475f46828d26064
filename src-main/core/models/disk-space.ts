import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';
import { formatBytes } from '../format';

/** Free space on the volume a download writes to, and the messages when it runs out. */

/** Bytes available to this user on the volume holding `dir` (an existing folder). */
export async function freeBytesOn(dir: string): Promise<number> {
  const stats = await fsp.statfs(dir);
  return stats.bavail * stats.bsize;
}

/** The mount point of the file system holding `dir` (an existing folder), for messages. */
export async function mountPointOf(dir: string): Promise<string> {
  let current = path.resolve(dir);
  const device = (await fsp.stat(current)).dev;
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) return current;
    const parentDevice = (await fsp.stat(parent)).dev;
    if (parentDevice !== device) return current;
    current = parent;
  }
}

/** The mount point of `dir`, or `dir` itself when it cannot be found out. */
export async function volumeName(dir: string): Promise<string> {
  return mountPointOf(dir).catch(() => dir);
}

/** The nearest folder at or above `dir` that exists: a folder not created yet is measured by its parent. */
export async function existingAncestor(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await fsp.stat(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Refuses to start when the volume holding `dir` has less than `neededBytes` free. */
export async function ensureFreeSpace(
  dir: string,
  neededBytes: number,
  freeBytes: (dir: string) => Promise<number> = freeBytesOn,
): Promise<void> {
  if (neededBytes <= 0) return;
  const existing = await existingAncestor(dir);
  const free = await freeBytes(existing);
  if (free >= neededBytes) return;
  const mount = await volumeName(existing);
  throw new EaselError(
    'disk_full',
    `Not enough disk space: ${formatBytes(neededBytes)} needed, ${formatBytes(free)} free on ${mount}`,
    { neededBytes, freeBytes: free, path: mount },
  );
}
