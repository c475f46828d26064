/** Byte counts in the decimal units the Hugging Face hub and file managers show. */
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

function unitIndex(bytes: number): number {
  let index = 0;
  let value = Math.abs(bytes);
  while (value >= 1000 && index < UNITS.length - 1) {
    value /= 1000;
    index += 1;
  }
  return index;
}

function inUnit(bytes: number, index: number): string {
  const value = bytes / 1000 ** index;
  return index === 0 ? String(Math.round(value)) : value.toFixed(1);
}

/** `3.1 GB`, `340.2 MB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const index = unitIndex(bytes);
  return `${inUnit(bytes, index)} ${UNITS[index]}`;
}

/** `1.2 of 2.6 GB` (one unit when both fit it), else `512.0 KB of 2.6 GB`. */
export function formatProgress(done: number, total: number): string {
  const totalIndex = unitIndex(total);
  if (unitIndex(done) === totalIndex || done === 0) {
    return `${inUnit(done, totalIndex)} of ${inUnit(total, totalIndex)} ${UNITS[totalIndex]}`;
  }
  return `${formatBytes(done)} of ${formatBytes(total)}`;
}
