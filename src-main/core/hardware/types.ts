export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'apple' | 'other';

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

export interface GpuInfo {
  vendor: GpuVendor;
  name: string;
  /** Memory the GPU can use; for unified memory (Apple Silicon) this is the system RAM. */
  vramBytes: number | null;
  driver: string | null;
  /** True when the GPU shares the system RAM instead of having its own (Apple Silicon). */
  unifiedMemory: boolean;
  /**
   * The sources that reported this GPU joined with '+': first the one that gave the memory size,
   * then the one that gave the name, then the rest (e.g. 'nvidia-smi+lspci+sysfs').
   */
  source: string;
  /** PCI vendor:device in lower-case hex, e.g. '10de:2504'. */
  pciId?: string;
  /** PCI address with domain, e.g. '0000:01:00.0'. */
  busId?: string;
}

export interface ProbeResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface HardwareReport {
  os: { platform: string; release: string; distro?: string; arch: string };
  cpu: { model: string; physicalCores: number; logicalCores: number; avx2: boolean; avx512: boolean };
  /** `freeBytes` is the memory available to a new program (free plus reclaimable cache). */
  memory: { totalBytes: number; freeBytes: number };
  /** Space on the volume that holds the models folder; null when it could not be read. */
  disk: { path: string; freeBytes: number; totalBytes: number } | null;
  gpus: GpuInfo[];
  probes: ProbeResult[];
}

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
