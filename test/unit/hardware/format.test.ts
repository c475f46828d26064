import { describe, expect, it } from 'vitest';
import { describeGpu, NO_GPU_SENTENCE, summarizeHardware } from '../../../src-main/core/hardware/format';
import type { GpuInfo, HardwareReport } from '../../../src-main/core/hardware/types';

const GiB = 1024 ** 3;

const rtx3060: GpuInfo = {
  vendor: 'nvidia',
  name: 'NVIDIA GeForce RTX 3060',
  vramBytes: 12884901888,
  driver: '546.33',
  unifiedMemory: false,
  source: 'nvidia-smi',
};

function report(overrides: Partial<HardwareReport> = {}): HardwareReport {
  return {
    os: { platform: 'linux', release: '12', distro: 'Debian GNU/Linux', arch: 'x64' },
    cpu: { model: 'AMD Ryzen 7 5800X 8-Core Processor', physicalCores: 8, logicalCores: 16, avx2: true, avx512: false },
    memory: { totalBytes: 32 * GiB, freeBytes: 24.5 * GiB },
    disk: { path: '/models', freeBytes: 82.4e9, totalBytes: 500.1e9 },
    gpus: [rtx3060],
    probes: [{ name: 'os', ok: true, ms: 12 }],
    ...overrides,
  };
}

describe('describeGpu', () => {
  it('says name and memory', () => {
    expect(describeGpu(rtx3060)).toBe('NVIDIA GeForce RTX 3060, 12 GB');
  });

  it('says when memory is shared and when it is unknown', () => {
    expect(describeGpu({ ...rtx3060, vendor: 'apple', name: 'Apple M2', vramBytes: 16 * GiB, unifiedMemory: true })).toBe(
      'Apple M2, 16 GB unified memory shared with the system',
    );
    expect(describeGpu({ ...rtx3060, vramBytes: null })).toBe('NVIDIA GeForce RTX 3060, memory size unknown');
  });
});

describe('summarizeHardware', () => {
  it('describes a machine in plain words', () => {
    expect(summarizeHardware(report())).toEqual([
      'NVIDIA GeForce RTX 3060, 12 GB',
      'AMD Ryzen 7 5800X 8-Core Processor (8 cores, 16 threads, AVX2)',
      '32 GB memory, 24.5 GB available',
      '82.4 GB free for models (of 500 GB)',
    ]);
  });

  it('says the CPU will be used when there is no GPU, and lists checks that failed', () => {
    const lines = summarizeHardware(
      report({
        gpus: [],
        disk: null,
        cpu: { model: 'Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz', physicalCores: 2, logicalCores: 2, avx2: true, avx512: true },
        probes: [
          { name: 'nvidia-smi', ok: false, ms: 8000, error: 'nvidia-smi did not finish within 8 s and was stopped.' },
          { name: 'lspci', ok: false, ms: 3, error: 'exited with code 1' },
        ],
      }),
    );
    expect(lines).toEqual([
      NO_GPU_SENTENCE,
      'Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz (2 cores, AVX-512)',
      '32 GB memory, 24.5 GB available',
      'Free disk space for models could not be read',
      'Checks that did not work: nvidia-smi did not finish within 8 s and was stopped. lspci: exited with code 1.',
    ]);
    expect(NO_GPU_SENTENCE).toBe('No dedicated GPU found — Easel will use the CPU');
  });
});
