import type { ImageMetadata, ProviderChoice, ProviderName } from '../src-preload/api';

/**
 * Sizes, speeds, times and provider names for every screen. The renderer cannot import the core, so the
 * sizes mirror `src-main/core/format.ts`: decimal units as file managers count, one decimal below 100 of a
 * unit, none above, no trailing ".0" — so the screens and the core's own messages read alike.
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

/** Providers by their technical names, where a result says what ran it ("Ran on: WebGPU"). */
export const providerLabels: Record<ImageMetadata['provider'], string> = {
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML',
  coreml: 'Core ML',
  webgpu: 'WebGPU',
  cpu: 'CPU',
  placeholder: 'placeholder',
};

/** The choices in Settings → Run models on, with the system each one needs. */
export const providerChoiceLabels: Record<ProviderChoice, string> = {
  auto: 'Automatic (best available)',
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML (Windows)',
  coreml: 'Core ML (macOS)',
  webgpu: 'WebGPU',
  cpu: 'CPU only',
};

/** Providers as a person knows them, in setup: by the part of the computer that does the work. */
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
