/**
 * Sizes, speeds and times for the Models screen. The renderer cannot import the core, so these mirror
 * `src-main/core/format.ts`: decimal units as file managers count, one decimal below 100 of a unit,
 * none above, no trailing ".0" — so the screen and the core's own messages read alike.
 */
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown size';
  let index = 0;
  let value = bytes;
  // Rounding can carry into the next unit (999.96 KB shows as "1 MB", not "1000 KB").
  while (index < UNITS.length - 1 && Number(value.toFixed(value >= 100 ? 0 : 1)) >= 1000) {
    value /= 1000;
    index += 1;
  }
  const shown = index === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${UNITS[index]}`;
}

/** "1.2 of 2.6 GB" when both share a unit, else "512 KB of 2.6 GB". */
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
