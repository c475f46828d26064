import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProviderName } from '../../../src-preload/api';
import type { GeneratedImage } from '../../../src-main/core/generated-image';
import { explainProviderFailure } from '../../../src-main/core/setup/explain';
import { meanAbsoluteDifference, selfTest, type SelfTestPipeline } from '../../../src-main/core/setup/self-test';
import { detectMachineProviders } from '../../../src-main/core/runtime/providers';
import { selfTestCandidates, SystemService } from '../../../src-main/core/setup/system-service';
import { CATALOG } from '../../../src-main/core/models/catalog';
import { fixtureModel } from '../../fixtures/models';
import { useTempDirs } from '../../helpers/temp';
import { cudaImpossible, webgpuImpossible } from '../runtime/machine';
import { makeHarness } from '../pipeline/pipeline-harness';

const tempDir = useTempDirs();

/** A pipeline that runs only the provider each request names, as the app's self-test pipeline does. */
async function singleProviderHarness() {
  return makeHarness([]);
}

describe('the self-test on this machine', () => {
  it('finds the CPU working and WebGPU and CUDA really failing, with the reasons, recorded in ProviderHealth', async () => {
    const harness = await singleProviderHarness();
    try {
      const modelDir = await fixtureModel('sd15-legacy');
      const report = await selfTest({
        modelDir,
        providers: ['cuda', 'webgpu', 'cpu'],
        pipeline: harness.pipeline,
        health: harness.health,
        machine: 'test-machine',
        steps: 2,
        side: 64,
      });
      expect(report.model).toMatchObject({ dir: modelDir, width: 64, height: 64, steps: 2, guidance: 5 });
      expect(report.model!.unetGmacs).toBeGreaterThan(0);
      expect(report.checks.map((check) => check.provider)).toEqual(['cpu', 'cuda', 'webgpu']);

      const [cpu, cuda, webgpu] = report.checks as [NonNullable<(typeof report.checks)[0]>, ...typeof report.checks];
      expect(cpu).toMatchObject({ ok: true, reason: null, differenceFromCpu: null });
      expect(cpu.secondsPerImage).toBeGreaterThan(0);
      expect(cpu.secondsPerStep).toBeGreaterThan(0);
      expect(cpu.firstImageSeconds).toBeGreaterThan(0);
      expect(cpu.secondsPerStep!).toBeLessThan(cpu.secondsPerImage!);

      if (cudaImpossible) {
        expect(cuda).toMatchObject({ ok: false, secondsPerImage: null });
        expect(cuda!.reason).toMatch(/^CUDA is not installed for Easel/);
        // The runtime's library paths and C++ text stay out of the report; its words are the pipeline's.
        expect(cuda!.technicalReason).toBe('the CUDA provider is not installed (see README)');
        expect(harness.health.isBad(modelDir, 'cuda')).toBe(true);
      }
      if (webgpuImpossible) {
        expect(webgpu).toMatchObject({ ok: false, secondsPerImage: null });
        expect(webgpu!.reason).toMatch(/^No GPU answered through WebGPU/);
        expect(webgpu!.technicalReason).toBe('no compatible graphics adapter on this computer');
        expect(harness.health.isBad(modelDir, 'webgpu')).toBe(true);
      }
      expect(harness.health.isBad(modelDir, 'cpu')).toBe(false);
    } finally {
      await harness.dispose();
    }
  });

  it('reports a CPU that draws NaN as broken, and compares nothing with it', async () => {
    const harness = await singleProviderHarness();
    try {
      const modelDir = await fixtureModel('sd15-legacy', { nan: true });
      const report = await selfTest({ modelDir, providers: ['cpu'], pipeline: harness.pipeline, health: harness.health, machine: 'm', steps: 2, side: 64 });
      expect(report.checks).toEqual([
        expect.objectContaining({ provider: 'cpu', ok: false, technicalReason: 'the UNet produced NaN or infinite values' }),
      ]);
      expect(report.checks[0]!.reason).toMatch(/^CPU ran but produced an unusable picture/);
      expect(harness.health.isBad(modelDir, 'cpu')).toBe(true);
    } finally {
      await harness.dispose();
    }
  });

  it("draws at the model folder's native size when no side is given: 64×64 on the built-in demo, 512×512 on an SD 1.5 export", async () => {
    const harness = await singleProviderHarness();
    const requested: string[] = [];
    // Records the size each request asks for; the SD 1.5 fixture then draws at 64×64 to keep the test quick.
    const recording: SelfTestPipeline = {
      generate: (params, model, options) => {
        requested.push(`${params.width}x${params.height}`);
        return harness.pipeline.generate({ ...params, width: 64, height: 64 }, model, options);
      },
    };
    try {
      const demoDir = path.resolve('resources/models/easel-demo');
      const demo = await selfTest({ modelDir: demoDir, providers: ['cpu'], pipeline: recording, machine: 'm', steps: 1 });
      expect(demo.model).toMatchObject({ width: 64, height: 64 });
      expect(requested).toEqual(['64x64', '64x64']);

      requested.length = 0;
      const sd15 = await selfTest({ modelDir: await fixtureModel('sd15-legacy'), providers: ['cpu'], pipeline: recording, machine: 'm', steps: 1 });
      expect(sd15.model).toMatchObject({ width: 512, height: 512 });
      expect(requested).toEqual(['512x512', '512x512']);
    } finally {
      await harness.dispose();
    }
  });

  it("marks a provider whose picture differs from the CPU's as broken", async () => {
    const harness = await singleProviderHarness();
    // Stands in for a GPU driver that computes wrong results: DirectML cannot run here, so its requests
    // run on the CPU and come back with the picture inverted, labelled as DirectML's.
    const wrongDml: SelfTestPipeline = {
      async generate(params, model, options): Promise<GeneratedImage[]> {
        if (params.provider !== 'dml') return harness.pipeline.generate(params, model, options);
        const images = await harness.pipeline.generate({ ...params, provider: 'cpu' }, model, options);
        return images.map((image) => ({
          ...image,
          rgb: image.rgb.map((value) => 255 - value),
          metadata: { ...image.metadata, provider: 'dml' as ProviderName },
        }));
      },
    };
    try {
      const modelDir = await fixtureModel('sd15-legacy');
      const report = await selfTest({ modelDir, providers: ['dml'], pipeline: wrongDml, health: harness.health, machine: 'm', steps: 2, side: 64 });
      const dml = report.checks.find((check) => check.provider === 'dml')!;
      expect(dml.ok).toBe(false);
      expect(dml.differenceFromCpu).toBeGreaterThan(12);
      expect(dml.reason).toMatch(/^DirectML ran but its picture does not match the CPU's/);
      expect(harness.health.isBad(modelDir, 'dml')).toBe(true);
    } finally {
      await harness.dispose();
    }
  });
});

describe('the system service', () => {
  it('saves the self-test atomically, reuses it, re-runs it when forced, and leaves broken providers out', async () => {
    const harness = await singleProviderHarness();
    const dataDir = await tempDir();
    const modelDir = await fixtureModel('sd15-legacy');
    let runs = 0;
    const counting: SelfTestPipeline = {
      generate: (params, model, options) => {
        runs += 1;
        return harness.pipeline.generate({ ...params, steps: 2, width: 64, height: 64 }, model, options);
      },
    };
    const service = new SystemService({
      dataDir,
      modelsDir: async () => path.join(dataDir, 'models'),
      selfTestModelDir: modelDir,
      catalog: CATALOG,
      pipeline: async () => counting,
      health: async () => harness.health,
      machine: 'test-machine',
      machineProviders: () => detectMachineProviders(),
    });
    try {
      const first = await service.selfTest();
      const saved = JSON.parse(await readFile(service.selfTestFile, 'utf8'));
      expect(saved).toEqual(first);
      const runsAfterFirst = runs;
      expect(await service.selfTest()).toEqual(first);
      expect(runs).toBe(runsAfterFirst);

      // A new service (the next app start) reads it back instead of testing again.
      const reopened = new SystemService({ ...serviceOptions(service), dataDir });
      expect(await reopened.selfTest()).toEqual(first);

      const forced = await service.selfTest(true);
      expect(runs).toBeGreaterThan(runsAfterFirst);
      expect(forced.ranAt >= first.ranAt).toBe(true);

      const candidates = selfTestCandidates(detectMachineProviders());
      expect(candidates.at(-1)).toBe('cpu');
      if (webgpuImpossible) expect(await service.usableProviders(['webgpu', 'cpu'])).toEqual(['cpu']);
    } finally {
      await harness.dispose();
    }

    function serviceOptions(s: SystemService) {
      return (s as unknown as { options: ConstructorParameters<typeof SystemService>[0] }).options;
    }
  });

  it('tests nothing, and says why, when the model to test with is missing', async () => {
    const dataDir = await tempDir();
    const service = new SystemService({
      dataDir,
      modelsDir: async () => dataDir,
      selfTestModelDir: path.join(dataDir, 'no-such-model'),
      catalog: CATALOG,
      pipeline: async () => {
        throw new Error('the pipeline is not needed without a model');
      },
      health: async () => {
        throw new Error('nor the health notes');
      },
      machine: 'test-machine',
      machineProviders: () => detectMachineProviders(),
    });
    const report = await service.selfTest();
    expect(report).toMatchObject({ model: null, checks: [] });
    expect(report.skipped).toMatch(/built-in demo model is missing/);
  });
});

describe('pieces of the self-test', () => {
  it('measures the mean absolute difference of two pictures', () => {
    expect(meanAbsoluteDifference(Uint8Array.from([0, 10, 255]), Uint8Array.from([0, 20, 235]))).toBe(10);
    expect(() => meanAbsoluteDifference(new Uint8Array(3), new Uint8Array(6))).toThrow(/Cannot compare/);
  });

  it('explains failures in words a person can act on, keeping unknown ones as they are', () => {
    expect(explainProviderFailure('dml', 'DXGI_ERROR_UNSUPPORTED creating the D3D12 device')).toMatch(/^DirectML could not use the GPU/);
    expect(explainProviderFailure('coreml', 'CoreML could not load unet: failed to allocate 3 GB')).toMatch(/^CoreML ran out of memory/);
    expect(explainProviderFailure('webgpu', 'something new\nwith a stack')).toBe('WebGPU could not make the test image: something new');
  });
});
