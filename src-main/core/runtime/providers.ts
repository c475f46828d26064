/**
 * Which ONNX Runtime execution providers to try, in what order, and with which session options.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import si from 'systeminformation';
import type { ProviderChoice, ProviderName } from '../../../src-preload/api';

export interface MachineProviders {
  platform: NodeJS.Platform;
  /** onnxruntime-node's CUDA provider library is installed next to its binding. */
  cudaAvailable: boolean;
  /** Backend names onnxruntime-node was built with (`ort.listSupportedBackends()`). */
  supported: string[];
}

/** People read these in messages and the gallery's notes. */
export const providerLabels: Record<ProviderName, string> = {
  cuda: 'CUDA',
  dml: 'DirectML',
  coreml: 'CoreML',
  webgpu: 'WebGPU',
  cpu: 'CPU',
};

/**
 * The providers to try, best first: CUDA where its library is installed (Linux, Windows), DirectML on
 * Windows, CoreML on macOS, WebGPU, and always CPU last. Providers this onnxruntime-node build lacks are
 * left out.
 */
export function providerOrder(machine: MachineProviders): ProviderName[] {
  const { platform } = machine;
  const order: ProviderName[] = [];
  if (machine.cudaAvailable && (platform === 'linux' || platform === 'win32')) order.push('cuda');
  if (platform === 'win32') order.push('dml');
  if (platform === 'darwin') order.push('coreml');
  order.push('webgpu');
  const supported = new Set(machine.supported);
  return [...order.filter((provider) => supported.has(provider)), 'cpu'];
}

/** The folder holding onnxruntime_binding.node and the provider libraries shipped beside it. */
/**
 * The providers to try for one request, best first; this is what 'auto' means everywhere. A named provider
 * goes first with the machine's order behind it; 'auto' takes the provider chosen in Settings the same way,
 * and the machine's order alone when that is 'auto' too.
 */
export function providerCandidates(choice: ProviderChoice, preferred: ProviderChoice, order: readonly ProviderName[]): ProviderName[] {
  const first = choice === 'auto' ? preferred : choice;
  if (first === 'auto') return [...order];
  return [first, ...order.filter((provider) => provider !== first)];
}

export function ortBindingDir(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const requireFromHere = createRequire(__filename);
  const packageDir = path.dirname(requireFromHere.resolve('onnxruntime-node/package.json'));
  return path.join(packageDir, 'bin', 'napi-v6', platform, arch);
}

const cudaLibraries: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

/** Whether the CUDA provider library is present; onnxruntime-node lists CUDA even when it is not installed. */
export function cudaLibraryPresent(bindingDir: string, platform: NodeJS.Platform = process.platform): boolean {
  const library = cudaLibraries[platform];
  return library !== undefined && existsSync(path.join(bindingDir, library));
}

export function detectMachineProviders(bindingDir: string = ortBindingDir()): MachineProviders {
  return {
    platform: process.platform,
    cudaAvailable: cudaLibraryPresent(bindingDir),
    supported: ort.listSupportedBackends().map((backend) => backend.name),
  };
}

/** Physical cores: ONNX Runtime's CPU kernels gain nothing from hyper-threads and lose to contention. */
export async function physicalCoreCount(): Promise<number> {
  try {
    const cpu = await si.cpu();
    if (cpu.physicalCores > 0) return cpu.physicalCores;
  } catch {
    // Fall through to the logical count: a thread count is a tuning choice, not worth failing for.
  }
  return Math.max(1, os.availableParallelism());
}

export interface SessionTuning {
  /** intra-op threads for the CPU provider (physical cores). */
  cpuThreads?: number;
  /**
   * Fixed sizes for symbolic input dimensions (e.g. `{ batch_size: 2, height: 64, width: 64 }`), which lets
   * providers plan memory once. Name only dimensions of this model's inputs. Note: onnxruntime-node 1.30's
   * binding does not read this option yet (it is passed through for the versions that do), so it neither
   * helps nor constrains today; each distinct set also means a distinct cached session.
   */
  freeDimensions?: Record<string, number>;
  /**
   * false: the CPU provider allocates each run's intermediate tensors and frees them after, instead of keeping
   * an arena as large as the largest run needed (over 1 GB for an SD 1.5 UNet at 512x512), for machines short
   * of memory. Not part of a cached session's identity: a session made either way serves both.
   */
  memoryArena?: boolean;
}

const ortProviderNames: Record<ProviderName, string> = {
  cuda: 'cuda',
  dml: 'dml',
  coreml: 'coreml',
  webgpu: 'webgpu',
  cpu: 'cpu',
};

export function sessionOptions(provider: ProviderName, tuning: SessionTuning = {}): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [ortProviderNames[provider]],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Fatal only: a failed run's `[E:onnxruntime:…]` line (severity 3) would reach stderr; the error itself
    // comes back to Easel, worded for people (session.ts).
    logSeverityLevel: 4,
  };
  // DirectML does not support memory pattern planning.
  if (provider === 'dml') options.enableMemPattern = false;
  if (provider === 'cpu' && tuning.cpuThreads !== undefined) options.intraOpNumThreads = tuning.cpuThreads;
  if (provider === 'cpu' && tuning.memoryArena === false) options.enableCpuMemArena = false;
  if (tuning.freeDimensions && Object.keys(tuning.freeDimensions).length > 0) {
    options.freeDimensionOverrides = { ...tuning.freeDimensions };
  }
  return options;
}
