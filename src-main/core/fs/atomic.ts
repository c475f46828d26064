import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EaselError } from '../errors';

/**
 * Atomic file writes: data goes to a temp file in the target's folder, is flushed to disk, then renamed
 * (or linked) into place, so the final name only ever holds a whole file. A crash leaves at most a temp
 * file behind, which `removeTempFiles` clears at the next start.
 */

/** Temp files start with this, so listings skip them (dot file) and cleanup finds them. */
export const TEMP_PREFIX = '.easel-tmp-';

/** Turns a file-system failure into the error a person can act on. */
export function fileError(error: unknown, action: string, file: string): EaselError {
  if (error instanceof EaselError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new EaselError('disk_full', `The disk is full: could not ${action} ${file}. Free some space and try again.`, {
      path: file,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new EaselError('io', `Easel is not allowed to ${action} ${file}. Check the folder's permissions.`, {
      path: file,
      errno: code,
    });
  }
  return new EaselError('io', `Could not ${action} ${file}: ${reason}`, { path: file, errno: code });
}

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}-${path.basename(target)}`);
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable on POSIX; Windows cannot open a directory, and does not need this.
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeTemp(target: string, data: Uint8Array | string): Promise<string> {
  const temp = tempPathFor(target);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw fileError(error, 'write', target);
  }
  return temp;
}

/** Writes `data` to `target` atomically, replacing any file there; creates the folder when missing. */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
  } catch (error) {
    throw fileError(error, 'create the folder for', target);
  }
  const temp = await writeTemp(target, data);
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw fileError(error, 'write', target);
  }
  await syncDirectory(path.dirname(target));
}

/**
 * Writes `data` atomically under the first name `nameFor(attempt)` that does not exist yet (attempt
 * 0, 1, …), never replacing a file, even one another process created a moment ago; returns the path.
 */
export async function writeNewFileAtomic(
  dir: string,
  nameFor: (attempt: number) => string,
  data: Uint8Array,
  maxAttempts = 1000,
): Promise<string> {
  const temp = await writeTemp(path.join(dir, nameFor(0)), data);
  try {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const target = path.join(dir, nameFor(attempt));
      if (await claimName(temp, target)) {
        await syncDirectory(dir);
        return target;
      }
    }
  } catch (error) {
    throw fileError(error, 'write', dir);
  } finally {
    await fs.rm(temp, { force: true });
  }
  throw new EaselError('io', `Could not find a free file name in ${dir} after ${maxAttempts} tries.`, { path: dir });
}

/**
 * Moves `source` to `target` unless `target` exists. A hard link fails atomically on an existing name;
 * on file systems without hard links (FAT, some network shares) it falls back to check-then-rename.
 */
async function claimName(source: string, target: string): Promise<boolean> {
  try {
    await fs.link(source, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  if (await exists(target)) return false;
  await fs.rename(source, target);
  return true;
}

/** Moves a file to a name that must be free; false if it is taken. */
export async function moveToFreeName(source: string, target: string): Promise<boolean> {
  try {
    if (!(await claimName(source, target))) return false;
    await fs.rm(source, { force: true });
    return true;
  } catch (error) {
    throw fileError(error, 'move', source);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temp file is abandoned unless the process that writes it (named in it) is still running. */
function isAbandoned(name: string): boolean {
  const pid = Number(/^\d+/.exec(name.slice(TEMP_PREFIX.length))?.[0]);
  return !Number.isSafeInteger(pid) || pid <= 0 || !isRunning(pid);
}

/**
 * Deletes the temp files crashed writes left in `dir` and returns their names; those of processes still
 * running (another Easel window or the CLI mid-save) are left alone.
 */
export async function removeTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(error, 'read', dir);
  }
  const stale = names.filter((name) => name.startsWith(TEMP_PREFIX) && isAbandoned(name));
  await Promise.all(stale.map((name) => fs.rm(path.join(dir, name), { force: true })));
  return stale;
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}
