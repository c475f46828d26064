import { describe, expect, it } from 'vitest';
import type { GpuInfo, HardwareReport, ProviderCheck, ProviderName, SelfTestReport } from '../../../src-preload/api';
import { CATALOG } from '../../../src-main/core/models/catalog';
import { recommend } from '../../../src-main/core/setup/recommend';

const GiB = 1024 ** 3;

function machine(overrides: Partial<HardwareReport> & { cores?: number }): HardwareReport {
  const { cores = 8, ...rest } = overrides;
  return {
    os: { platform: 'linux', release: '6.1', arch: 'x64' },
    cpu: { model: 'AMD Ryzen 7 5800X 8-Core Processor', physicalCores: cores, logicalCores: cores * 2, avx2: true, avx512: false },
    memory: { totalBytes: 16 * GiB, freeBytes: 12 * GiB },
    disk: { path: '/models', freeBytes: 200e9, totalBytes: 500e9 },
    gpus: [],
    probes: [],
    ...rest,
  };
}

function gpu(vendor: GpuInfo['vendor'], name: string, vramGiB: number, unifiedMemory = false): GpuInfo {
  return { vendor, name, vramBytes: vramGiB * GiB, driver: null, unifiedMemory, source: 'test' };
}

function works(provider: ProviderName, secondsPerStep = 0.004): ProviderCheck {
  return {
    provider,
    ok: true,
    reason: null,
    technicalReason: null,
    firstImageSeconds: 0.5,
    secondsPerImage: secondsPerStep * 4 + 0.01,
    secondsPerStep,
    differenceFromCpu: provider === 'cpu' ? null : 0.8,
  };
}

function fails(provider: ProviderName): ProviderCheck {
  return {
    provider,
    ok: false,
    reason: `${provider} does not work here`,
    technicalReason: 'test',
    firstImageSeconds: null,
    secondsPerImage: null,
    secondsPerStep: null,
    differenceFromCpu: null,
  };
}

/** A self-test of the demo: a UNet of 0.01 G multiply-adds per call, 4 steps at 64×64. */
function selfTest(checks: ProviderCheck[], dir = '/opt/Easel/resources/models/easel-demo'): SelfTestReport {
  return {
    ranAt: '2026-01-01T00:00:00.000Z',
    machine: 'test',
    model: { dir, name: 'easel-demo', width: 64, height: 64, steps: 4, guidance: 5, unetGmacs: 0.01 },
    skipped: null,
    checks,
  };
}

describe('recommend on five kinds of machine', () => {
  it('no GPU: SD-Turbo in one step on the CPU, and says plainly that bigger models take minutes', () => {
    const hardware = machine({ cores: 4, cpu: { model: 'Intel Core i5-8250U', physicalCores: 4, logicalCores: 8, avx2: true, avx512: false } });
    const result = recommend(hardware, selfTest([works('cpu'), fails('webgpu'), fails('cuda')]), CATALOG);
    expect(result).toMatchObject({ provider: 'cpu', modelId: 'sd-turbo', steps: 1, width: 512, height: 512, slow: false });
    expect(result.device).toBe('the CPU (Intel Core i5-8250U)');
    expect(result.summary).toMatch(
      /^No GPU Easel can use, so the CPU does the work\. SD-Turbo at 512×512 in 1 step, about \d+ s per image; larger models take minutes per image here\.$/,
    );
    expect(result.secondsPerImage!).toBeGreaterThan(10);
    const sd15 = result.estimates.find((estimate) => estimate.modelId === 'sd-1.5')!;
    expect(sd15).toMatchObject({ fits: true, provider: 'cpu' });
    expect(sd15.secondsPerImage!).toBeGreaterThan(60);
    // The time is said once, by secondsPerImage; the note does not repeat it.
    expect(sd15.note).toBeNull();
    // As measured on a CPU: a 1-step SD-Turbo image with the full VAE is about 2.5 UNet calls long. One call
    // is what SD 1.5's 50 guided calls add to SD-Turbo's single one (both decode the same 512x512).
    const unetCall = (sd15.secondsPerImage! - result.secondsPerImage!) / (50 - 1.05);
    expect(result.secondsPerImage! / unetCall).toBeGreaterThan(2);
    expect(result.secondsPerImage! / unetCall).toBeLessThan(3);
    expect(result.estimates.find((estimate) => estimate.modelId === 'sdxl-base-1.0')).toMatchObject({
      fits: false,
      provider: null,
      secondsPerImage: null,
      note: 'Needs 32 GB of memory; this computer has 16 GB.',
    });
  });

  it('a slow CPU: says images take minutes on this machine', () => {
    const hardware = machine({ cpu: { model: 'Old CPU', physicalCores: 1, logicalCores: 2, avx2: false, avx512: false } });
    const result = recommend(hardware, selfTest([works('cpu', 0.05)]), CATALOG);
    expect(result).toMatchObject({ provider: 'cpu', modelId: 'sd-turbo', slow: true });
    expect(result.summary).toMatch(/about \d+ min per image: images take minutes on this machine\.$/);
  });

  it('an RTX 3060 with 12 GB and CUDA: SD 1.5 at 512×512 in about 4 s', () => {
    const hardware = machine({ gpus: [gpu('nvidia', 'NVIDIA GeForce RTX 3060', 12)] });
    const result = recommend(hardware, selfTest([works('cpu'), works('cuda', 0.001), works('webgpu', 0.002)]), CATALOG);
    expect(result).toMatchObject({ provider: 'cuda', modelId: 'sd-1.5', steps: 25, slow: false });
    expect(result.summary).toBe('NVIDIA GeForce RTX 3060, 12 GB: Stable Diffusion 1.5 at 512×512, about 4 s per image');
    // SDXL needs 16 GB of VRAM: it would run on the CPU, which the estimate says.
    const sdxl = result.estimates.find((estimate) => estimate.modelId === 'sdxl-base-1.0')!;
    expect(sdxl.fits).toBe(false);
    expect(result.estimates[0]!.modelId).toBe('sd-1.5');
  });

  it('the RTX 3060 when CUDA failed the self-test but WebGPU passed: WebGPU, and slower', () => {
    const hardware = machine({ gpus: [gpu('nvidia', 'NVIDIA GeForce RTX 3060', 12)], memory: { totalBytes: 32 * GiB, freeBytes: 20 * GiB } });
    const withCuda = recommend(hardware, selfTest([works('cpu'), works('cuda')]), CATALOG);
    const withWebgpu = recommend(hardware, selfTest([works('cpu'), fails('cuda'), works('webgpu')]), CATALOG);
    expect(withWebgpu.provider).toBe('webgpu');
    const time = (r: typeof withCuda, id: string) => r.estimates.find((estimate) => estimate.modelId === id)!.secondsPerImage!;
    expect(time(withWebgpu, 'sd-1.5')).toBeGreaterThan(time(withCuda, 'sd-1.5'));
    // With 32 GB of memory SDXL fits in RAM but not in the card's 12 GB: it runs on the CPU, and says so.
    const sdxl = withCuda.estimates.find((estimate) => estimate.modelId === 'sdxl-base-1.0')!;
    expect(sdxl).toMatchObject({ fits: true, provider: 'cpu' });
    expect(sdxl.note).toMatch(/^Too big for the GPU's 12 GB \(needs 16 GB\), so it runs on the CPU\./);
  });

  it('a 4 GB laptop GPU on DirectML: a 4-step LCM model rather than a 20 s SD 1.5', () => {
    const hardware = machine({
      os: { platform: 'win32', release: '10.0.22631', arch: 'x64' },
      gpus: [gpu('nvidia', 'NVIDIA GeForce GTX 1650 Laptop GPU', 4), gpu('intel', 'Intel UHD Graphics 630', 1)],
    });
    const result = recommend(hardware, selfTest([works('cpu'), fails('cuda'), works('dml'), works('webgpu')]), CATALOG);
    expect(result).toMatchObject({ provider: 'dml', modelId: 'lcm-dreamshaper-v7', steps: 4 });
    expect(result.summary).toMatch(/^NVIDIA GeForce GTX 1650 Laptop GPU, 4 GB: LCM Dreamshaper v7 at 512×512 in 4 steps, about \d s per image$/);
    expect(result.estimates.find((estimate) => estimate.modelId === 'sdxl-turbo')!.fits).toBe(false);
  });

  it('an Apple M2 with 16 GB on CoreML: SD 1.5, in shared memory', () => {
    const hardware = machine({
      os: { platform: 'darwin', release: '23.4.0', arch: 'arm64' },
      cpu: { model: 'Apple M2', physicalCores: 8, logicalCores: 8, avx2: false, avx512: false },
      gpus: [gpu('apple', 'Apple M2', 16, true)],
    });
    const result = recommend(hardware, selfTest([works('cpu'), works('coreml'), works('webgpu')]), CATALOG);
    expect(result).toMatchObject({ provider: 'coreml', modelId: 'sd-1.5', device: 'Apple M2, 16 GB shared memory' });
    expect(result.secondsPerImage!).toBeGreaterThan(10);
    expect(result.secondsPerImage!).toBeLessThan(20);
  });

  it('an AMD card with 8 GB on Linux: WebGPU when it works, the CPU (saying why) when it does not', () => {
    const hardware = machine({ gpus: [gpu('amd', 'AMD Radeon RX 6600', 8)] });
    const result = recommend(hardware, selfTest([works('cpu'), fails('cuda'), works('webgpu')]), CATALOG);
    expect(result.summary).toMatch(/^AMD Radeon RX 6600, 8 GB: Stable Diffusion 1.5 at 512×512, about \d s per image$/);
    expect(result.provider).toBe('webgpu');

    const noDriver = recommend(hardware, selfTest([works('cpu'), fails('cuda'), fails('webgpu')]), CATALOG);
    expect(noDriver.provider).toBe('cpu');
    expect(noDriver.summary).toMatch(/^AMD Radeon RX 6600 could not be used, so the CPU does the work\. LCM Dreamshaper v7 at 512×512 in 4 steps/);
  });
});

describe('recommend: the edges', () => {
  it('offers the built-in demo when no download fits on the disk', () => {
    const hardware = machine({ disk: { path: '/models', freeBytes: 1e9, totalBytes: 64e9 } });
    const result = recommend(hardware, selfTest([works('cpu')]), CATALOG);
    expect(result.modelId).toBe('easel-demo');
    expect(result.summary).toMatch(/^No model download fits on this machine; the built-in demo \(64×64\) runs on the CPU/);
    expect(result.estimates.find((estimate) => estimate.modelId === 'sd-turbo')!.note).toBe('Needs 2.7 GB of disk space; 1 GB is free.');
  });

  it('times the demo from its own measurement: the fixed part plus its 20 steps', () => {
    const result = recommend(machine({}), selfTest([works('cpu', 0.01)]), CATALOG);
    const demo = result.estimates.find((estimate) => estimate.family === 'demo')!;
    // Measured: 0.05 s per image for 4 steps of 0.01 s, so 0.01 s outside the steps; 20 steps make 0.21 s.
    expect(demo.secondsPerImage).toBeCloseTo(0.21, 5);
    expect(demo.downloadBytes).toBe(0);
  });

  it('trusts a measured rate above the typical one for the device, and not one below it', () => {
    const hardware = machine({ cores: 2 });
    const sdTurbo = (check: ProviderCheck, unetGmacs = 0.01) => {
      const report = selfTest([check]);
      report.model!.unetGmacs = unetGmacs;
      return recommend(hardware, report, CATALOG).estimates.find((estimate) => estimate.modelId === 'sd-turbo')!.secondsPerImage!;
    };
    const typical = sdTurbo(works('cpu', 0.004));
    expect(sdTurbo(works('cpu', 0.04))).toBe(typical);
    expect(sdTurbo(works('cpu', 0.004), 10)).toBeLessThan(typical / 5);
  });

  it('uses the CPU when the self-test found nothing to test with', () => {
    const hardware = machine({ gpus: [gpu('nvidia', 'NVIDIA GeForce RTX 4090', 24)] });
    const result = recommend(hardware, { ...selfTest([]), model: null, skipped: 'no model' }, CATALOG);
    expect(result.provider).toBe('cpu');
    expect(result.summary).toMatch(/^NVIDIA GeForce RTX 4090 could not be used, so the CPU does the work/);
  });
});
