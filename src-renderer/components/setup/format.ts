import type { ProviderName } from '../../../src-preload/api';

/** Providers as a person knows them: by the part of the computer that does the work. */
export const providerNames: Record<ProviderName, string> = {
  cpu: 'Processor (CPU)',
  cuda: 'NVIDIA graphics card (CUDA)',
  dml: 'Graphics card (DirectML)',
  coreml: 'Apple GPU and Neural Engine (Core ML)',
  webgpu: 'Graphics card (WebGPU)',
};

/** The part that does the work, inside a sentence: "about 4 s per picture on the graphics card". */
export const deviceNames: Record<ProviderName, string> = {
  cpu: 'processor',
  cuda: 'NVIDIA graphics card',
  dml: 'graphics card',
  coreml: 'Apple GPU',
  webgpu: 'graphics card',
};

/** Disk sizes in decimal units, as file managers show them: "2.7 GB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}

/** "about 4 s", "about 5 min". */
export function formatTime(seconds: number): string {
  if (seconds < 1) return `about ${Math.max(0.1, Math.round(seconds * 10) / 10)} s`;
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  return `about ${Math.round(seconds / 360) / 10} h`;
}
