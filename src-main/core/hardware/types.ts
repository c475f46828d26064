import type { GpuInfo, GpuVendor, HardwareReport } from '../../../src-preload/api';

/** Where a piece of GPU information came from; also the name of the probe that read it. */
export type GpuSource =
  | 'nvidia-smi'
  | 'sysfs'
  | 'lspci'
  | 'win32-video-controller'
  | 'registry'
  | 'system-profiler'
  | 'electron'
  | 'systeminformation';

/** The machine's shape is part of the contract: the setup wizard shows it as the core reports it. */
export type { GpuInfo, GpuVendor, HardwareReport };

export type ProbeResult = HardwareReport['probes'][number];

/** One source's view of one GPU, before sources are merged. */
export interface GpuCandidate {
  source: GpuSource;
  vendor: GpuVendor;
  /** null when the source knows only ids (sysfs, some Electron entries). */
  name: string | null;
  vramBytes: number | null;
  driver: string | null;
  unifiedMemory: boolean;
  pciId?: string;
  busId?: string;
}

export interface CpuFeatures {
  avx2: boolean;
  avx512: boolean;
}
