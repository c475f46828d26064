import type { GpuInfo, ProviderName } from '../src-preload/api';

/** What decides whether a provider can apply on a computer at all: its system and its graphics cards. */
export interface Machine {
  /** Node's platform name: 'win32', 'darwin', 'linux'. */
  platform: string;
  gpus: Pick<GpuInfo, 'vendor'>[];
}

/**
 * Why a provider cannot apply on a computer. `system`: it is made for another system, which nothing on this
 * one changes. `hardware`: it needs a graphics card that hardware detection did not find; detection can miss
 * one, so this is what Easel found rather than a certainty. `missing` says what, briefly, for a list of
 * choices ("no NVIDIA graphics card found").
 */
export type Unavailability = { kind: 'system'; reason: string } | { kind: 'hardware'; reason: string; missing: string };

/** `gpus` null: the graphics cards are not known yet, so only the system can rule a provider out. */
export function unavailability(provider: ProviderName, machine: { platform: string; gpus: Machine['gpus'] | null }): Unavailability | null {
  const { platform, gpus } = machine;
  switch (provider) {
    case 'cpu':
      return null;
    case 'dml':
      return platform === 'win32' ? null : { kind: 'system', reason: 'DirectML is for Windows only' };
    case 'coreml':
      return platform === 'darwin' ? null : { kind: 'system', reason: 'Core ML is for Macs only' };
    case 'cuda':
      return gpus === null || gpus.some((gpu) => gpu.vendor === 'nvidia')
        ? null
        : { kind: 'hardware', reason: 'it needs an NVIDIA graphics card, and this computer has none', missing: 'no NVIDIA graphics card found' };
    case 'webgpu':
      return gpus === null || gpus.length > 0
        ? null
        : { kind: 'hardware', reason: 'no graphics card was found for it to use', missing: 'no graphics card found' };
  }
}

/**
 * Why a provider cannot apply on this computer whatever is installed ("needs an NVIDIA graphics card"),
 * or null when it might work here. A provider that does not apply is not a failure, and is said so
 * neutrally; one that applies but failed keeps the runtime's reason.
 */
export function notAvailableHere(provider: ProviderName, machine: Machine): string | null {
  return unavailability(provider, machine)?.reason ?? null;
}
