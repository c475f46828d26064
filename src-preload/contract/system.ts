/** System: the app, the machine, how each execution provider did in the self-test, and what Easel recommends. */
import { z } from 'zod';
import type { ProviderName } from './common';
import type { ModelFamily } from './models';

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  arch: string;
  host: 'electron' | 'web';
  paths: { data: string; models: string; gallery: string; loras: string; embeddings: string };
}

export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'apple' | 'other';

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

export interface HardwareReport {
  os: { platform: string; release: string; distro?: string; arch: string };
  cpu: { model: string; physicalCores: number; logicalCores: number; avx2: boolean; avx512: boolean };
  /** `freeBytes` is the memory available to a new program (free plus reclaimable cache). */
  memory: { totalBytes: number; freeBytes: number };
  /** Space on the volume that holds the models folder; null when it could not be read. */
  disk: { path: string; freeBytes: number; totalBytes: number } | null;
  gpus: GpuInfo[];
  /** Each probe (nvidia-smi, lspci, …): whether it answered, how long it took, and why not. */
  probes: Array<{ name: string; ok: boolean; ms: number; error?: string }>;
}

/** How one execution provider did: it made the test image (matching the CPU's) or why not. */
export interface ProviderCheck {
  provider: ProviderName;
  ok: boolean;
  /** Why it cannot be used, in words a person can act on; null when it works. */
  reason: string | null;
  /** ONNX Runtime's own words, for a bug report; null when it works. */
  technicalReason: string | null;
  /** The first image, including loading the model onto the device. */
  firstImageSeconds: number | null;
  /** One image once loaded (text encoder, every step, decoder). */
  secondsPerImage: number | null;
  /** One denoising step (one UNet call, both halves of the guidance batch). */
  secondsPerStep: number | null;
  /** Mean absolute difference from the CPU's image in 0–255 levels; null for the CPU itself or when not compared. */
  differenceFromCpu: number | null;
}

export interface SelfTestReport {
  ranAt: string;
  /** The machine it ran on; a report from another machine is not reused. */
  machine: string;
  /** The model every provider ran, with the request it got. */
  model: {
    dir: string;
    name: string;
    width: number;
    height: number;
    steps: number;
    guidance: number;
    /** Rough multiply-adds of one UNet call on one latent (billions), for scaling the timings to other models. */
    unetGmacs: number;
  } | null;
  /** Why nothing could be tested (no model to test with), else null. */
  skipped: string | null;
  checks: ProviderCheck[];
}

export interface ModelEstimate {
  modelId: string;
  name: string;
  family: ModelFamily;
  width: number;
  height: number;
  steps: number;
  /** Where it would run on this machine; null when it does not fit. */
  provider: ProviderName | null;
  fits: boolean;
  secondsPerImage: number | null;
  /** Why it does not fit, or why it runs on the CPU; never the time, which is secondsPerImage. Null when there is nothing to add. */
  note: string | null;
  downloadBytes: number;
}

export interface Recommendation {
  provider: ProviderName;
  /** What does the work, in words: "NVIDIA GeForce RTX 3060, 12 GB" or "the CPU (…)". */
  device: string;
  modelId: string;
  width: number;
  height: number;
  steps: number;
  secondsPerImage: number | null;
  /** Images take a minute or more with the recommended model. */
  slow: boolean;
  /** One line: "NVIDIA GeForce RTX 3060, 12 GB: Stable Diffusion 1.5 at 512×512, about 4 s per image". */
  summary: string;
  /** Every catalog model on this machine, the recommended one first. */
  estimates: ModelEstimate[];
}
export const forceRequest = z.object({ force: z.boolean().optional() }).strict().optional();
