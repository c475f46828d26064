/**
 * Sizes and times as people read them, the same on every screen and in the core's own messages:
 * decimal units as file managers count, one decimal below 100 of a unit, none above, no trailing ".0".
 */
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

export interface FormatBytesOptions {
  /**
   * 1000 (default) for files and disks, as file managers and download sites count; 1024 for
   * memory, which is sold in binary sizes (a "12 GB" card has 12 × 1024³ bytes).
   */
  base?: 1000 | 1024;
}

export function isByteCount(bytes: number): boolean {
  return Number.isFinite(bytes) && bytes >= 0;
}

/**
 * `formatBytes(3.1e9)` → "3.1 GB", `formatBytes(512)` → "512 B", `formatBytes(12_884_901_888, { base: 1024 })`
 * → "12 GB". A number that is no byte count reads "unknown size": a screen shows what it can.
 */
export function formatBytes(bytes: number, options: FormatBytesOptions = {}): string {
  if (!isByteCount(bytes)) return 'unknown size';
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
  if (done === 0) return `0 of ${totalText}`;
  const unit = totalText.slice(totalText.indexOf(' '));
  const doneText = formatBytes(done);
  return doneText.endsWith(unit) ? `${doneText.slice(0, -unit.length)} of ${totalText}` : `${doneText} of ${totalText}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "about 3 min left": a download's remaining time is a guess, so it reads like one. */
export function formatEta(seconds: number): string {
  if (seconds < 60) return 'less than a minute left';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${hours} h left` : `about ${hours} h ${rest} min left`;
}

/** A measured time: "850 ms", "12 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** A time in rounded seconds, minutes or hours: "0.3 s", "4 s", "5 min", "1.5 h". */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.max(0.1, Math.round(seconds * 10) / 10)} s`;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

/** An expected time, which is a guess and reads like one: "about 4 s", "about 5 min". */
export function formatEstimate(seconds: number): string {
  return `about ${formatSeconds(seconds)}`;
}

/** "1 image", "2 images", "1,024 images": a count with its noun in the right number. */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : plural}`;
}
