import { EaselError } from './errors';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

export interface FormatBytesOptions {
  /**
   * 1000 (default) for files and disks, as file managers and download sites count; 1024 for
   * memory, which is sold in binary sizes (a "12 GB" card has 12 × 1024³ bytes).
   */
  base?: 1000 | 1024;
}

/**
 * `formatBytes(3.1e9)` → "3.1 GB", `formatBytes(512)` → "512 B", `formatBytes(12_884_901_888, { base: 1024 })`
 * → "12 GB". One decimal below 100 of a unit, none above, and no trailing ".0".
 */
export function formatBytes(bytes: number, options: FormatBytesOptions = {}): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new EaselError('invalid_request', `A byte count must be a finite number of zero or more, not ${bytes}.`, {
      bytes,
    });
  }
  const base = options.base ?? 1000;
  let index = 0;
  let value = bytes;
  // Rounding can carry into the next unit (999.96 KB shows as "1 MB", not "1000 KB").
  while (index < UNITS.length - 1 && Number(value.toFixed(value >= 100 ? 0 : 1)) >= base) {
    value /= base;
    index += 1;
  }
  const shown = index === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${UNITS[index]}`;
}

/** Memory sizes (RAM, VRAM) in binary units, labelled GB as operating systems do. */
export function formatMemory(bytes: number): string {
  return formatBytes(bytes, { base: 1024 });
}

/** `1.2 of 2.6 GB` when both fit one unit, else `512 KB of 2.6 GB`: how far a download has come. */
export function formatProgress(done: number, total: number): string {
  const totalText = formatBytes(total);
  const unit = totalText.slice(totalText.indexOf(' '));
  const doneText = formatBytes(done);
  if (done === 0) return `0 of ${totalText}`;
  return doneText.endsWith(unit) ? `${doneText.slice(0, -unit.length)} of ${totalText}` : `${doneText} of ${totalText}`;
}
