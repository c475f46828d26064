import type { GpuInfo, ProviderName } from '../src-preload/api';

/** What decides whether a provider can apply on a computer at all: its system and its graphics cards. */
export interface Machine {
  /** Node's platform name: 'win32', 'darwin', 'linux'. */
  platform: string;
  gpus: Pick<GpuInfo, 'vendor'>[];
}

/**
 * Why a provider cannot apply on this computer whatever is installed ("needs an NVIDIA graphics card"),
 * or null when it might work here. A provider that does not apply is not a failure, and is said so
 * neutrally; one that applies but failed keeps the runtime's reason.
 */
export function notAvailableHere(provider: ProviderName, machine: Machine): string | null {
  const has = (vendor: GpuInfo['vendor']) => machine.gpus.some((gpu) => gpu.vendor === vendor);
  switch (provider) {
    case 'cpu':
      return null;
    case 'cuda':
      return has('nvidia') ? null : 'it needs an NVIDIA graphics card, and this computer has none';
    case 'dml':
      return machine.platform === 'win32' ? null : 'DirectML is for Windows only';
    case 'coreml':
      return machine.platform === 'darwin' ? null : 'Core ML is for Macs only';
    case 'webgpu':
      return machine.gpus.length > 0 ? null : 'no graphics card was found for it to use';
  }
}
