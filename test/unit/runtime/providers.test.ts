import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cudaLibraryPresent,
  detectMachineProviders,
  physicalCoreCount,
  providerCandidates,
  providerOrder,
  sessionOptions,
} from '../../../src-main/core/runtime/providers';

const everything = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml'];

describe('providerOrder', () => {
  it('puts CUDA first on Linux only when its library is installed', () => {
    expect(providerOrder({ platform: 'linux', cudaAvailable: true, supported: everything })).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(providerOrder({ platform: 'linux', cudaAvailable: false, supported: everything })).toEqual(['webgpu', 'cpu']);
  });

  it('uses DirectML on Windows and CoreML on macOS, never CUDA on macOS', () => {
    expect(providerOrder({ platform: 'win32', cudaAvailable: true, supported: everything })).toEqual([
      'cuda',
      'dml',
      'webgpu',
      'cpu',
    ]);
    expect(providerOrder({ platform: 'win32', cudaAvailable: false, supported: everything })).toEqual(['dml', 'webgpu', 'cpu']);
    expect(providerOrder({ platform: 'darwin', cudaAvailable: true, supported: everything })).toEqual([
      'coreml',
      'webgpu',
      'cpu',
    ]);
  });

  it('leaves out what this onnxruntime build lacks but always keeps CPU', () => {
    expect(providerOrder({ platform: 'win32', cudaAvailable: true, supported: ['cpu', 'dml'] })).toEqual(['dml', 'cpu']);
    expect(providerOrder({ platform: 'darwin', cudaAvailable: false, supported: [] })).toEqual(['cpu']);
  });
});

describe('providerCandidates', () => {
  const order = ['cuda', 'webgpu', 'cpu'] as const;

  it("takes 'auto' as the provider chosen in Settings, then the machine's order", () => {
    expect(providerCandidates('auto', 'auto', order)).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(providerCandidates('auto', 'cpu', order)).toEqual(['cpu', 'cuda', 'webgpu']);
  });

  it('puts a named provider first whatever Settings say, even one the machine order leaves out', () => {
    expect(providerCandidates('webgpu', 'cpu', order)).toEqual(['webgpu', 'cuda', 'cpu']);
    expect(providerCandidates('dml', 'auto', order)).toEqual(['dml', 'cuda', 'webgpu', 'cpu']);
    expect(providerCandidates('cpu', 'auto', [])).toEqual(['cpu']);
  });
});

describe('machine detection', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('reports this machine from the real onnxruntime-node', () => {
    const machine = detectMachineProviders();
    expect(machine.platform).toBe(process.platform);
    expect(machine.supported).toEqual(ort.listSupportedBackends().map((backend) => backend.name));
    expect(machine.supported).toContain('cpu');
    expect(providerOrder(machine).at(-1)).toBe('cpu');
  });

  it('finds the CUDA provider library next to the binding', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'easel-binding-'));
    dirs.push(dir);
    expect(cudaLibraryPresent(dir, 'linux')).toBe(false);
    writeFileSync(path.join(dir, 'libonnxruntime_providers_cuda.so'), '');
    writeFileSync(path.join(dir, 'onnxruntime_providers_cuda.dll'), '');
    expect(cudaLibraryPresent(dir, 'linux')).toBe(true);
    expect(cudaLibraryPresent(dir, 'win32')).toBe(true);
    expect(cudaLibraryPresent(dir, 'darwin')).toBe(false);
    expect(detectMachineProviders(dir).cudaAvailable).toBe(process.platform === 'linux' || process.platform === 'win32');
  });

  it('counts physical cores', async () => {
    const cores = await physicalCoreCount();
    expect(cores).toBeGreaterThanOrEqual(1);
    expect(cores).toBeLessThanOrEqual(os.availableParallelism());
  });
});

describe('sessionOptions', () => {
  it('tunes CPU sessions and passes fixed dimensions', () => {
    const options = sessionOptions('cpu', { cpuThreads: 6, freeDimensions: { batch_size: 2, height: 64 } });
    expect(options).toMatchObject({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: 6,
      freeDimensionOverrides: { batch_size: 2, height: 64 },
    });
  });

  it('names each provider as onnxruntime does and only sets CPU threads on CPU', () => {
    expect(sessionOptions('cuda', { cpuThreads: 4 }).executionProviders).toEqual(['cuda']);
    expect(sessionOptions('cuda', { cpuThreads: 4 }).intraOpNumThreads).toBeUndefined();
    expect(sessionOptions('dml')).toMatchObject({ executionProviders: ['dml'], enableMemPattern: false });
    expect(sessionOptions('coreml').executionProviders).toEqual(['coreml']);
    expect(sessionOptions('webgpu').executionProviders).toEqual(['webgpu']);
    expect(sessionOptions('webgpu').freeDimensionOverrides).toBeUndefined();
  });

  it('leaves out the CPU memory arena only when asked to, and only on the CPU', () => {
    expect(sessionOptions('cpu', { memoryArena: false }).enableCpuMemArena).toBe(false);
    expect(sessionOptions('cpu', { memoryArena: true }).enableCpuMemArena).toBeUndefined();
    expect(sessionOptions('cpu').enableCpuMemArena).toBeUndefined();
    expect(sessionOptions('cuda', { memoryArena: false }).enableCpuMemArena).toBeUndefined();
  });
});
