import path from 'node:path';
import { EaselError } from '../errors';

/**
 * The names of gallery images. An image's id is its file name in the gallery folder, so it survives a
 * rebuild of the index; Easel names what it saves `2026-11-24_153012_seed123456_00001.png`.
 */

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `2026-11-24_153012` in local time: how people sort and recognise their files. */
function timestampForName(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
  );
}

/** The running number at the end of a file name Easel gave (`…_00042.png`), or 0. */
function counterOf(name: string): number {
  const match = /_(\d{5,})\.png$/i.exec(name);
  return match ? Number(match[1]) : 0;
}

/**
 * Names for a new image, for `attempt` 0, 1, …: the time and seed, then a running number above every
 * one the gallery holds.
 */
export function newImageNames(existingIds: string[], nowMs: number, seed: string): (attempt: number) => string {
  const counter = existingIds.reduce((max, id) => Math.max(max, counterOf(id)), 0) + 1;
  const stem = `${timestampForName(nowMs)}_seed${seed}`;
  return (attempt) => `${stem}_${pad(counter + attempt, 5)}.png`;
}

/** A PNG the gallery lists: not hidden (Easel's own files start with a dot). */
export function isImageName(name: string): boolean {
  return !name.startsWith('.') && /\.png$/i.test(name);
}

/** Refuses anything but a plain PNG file name: no folders, no way out of the gallery. */
export function checkImageId(id: string): void {
  if (typeof id !== 'string' || !isImageName(id) || path.basename(id) !== id || id.includes('\0') || id.includes('\\')) {
    throw new EaselError('invalid_request', `"${String(id)}" is not a gallery image id (a PNG file name in the gallery).`, {
      id,
    });
  }
}
