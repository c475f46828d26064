import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandRunner } from '../../../src-main/core/hardware/command-runner';
import { detectHardware } from '../../../src-main/core/hardware/detect';
import { createFileReader } from '../../../src-main/core/hardware/file-reader';
import { summarizeHardware } from '../../../src-main/core/hardware/format';
import type { HardwareReport, ProbeResult } from '../../../src-main/core/hardware/types';
import { fixturePath } from './fixture';

const GiB = 1024 ** 3;

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'easel-detect-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Prints a recorded output file and exits with the given code, as the real tool would. */
function printsFixture(file: string, code = 0, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return `/bin/cat ${quote(fixturePath(file))}${stream === 'stderr' ? ' >&2' : ''}\nexit ${code}`;
}

const HANGS = `exec ${quote(process.execPath)} -e "setTimeout(() => {}, 10000)"`;

let toolDirs = 0;
/**
 * Real executables named like the real tools, in a folder that is the runner's whole PATH: the
 * probes run real child processes, and a tool left out is "not installed".
 */
async function fakeTools(tools: Record<string, string>) {
  const dir = path.join(tmp, `bin-${(toolDirs += 1)}`);
  await fs.mkdir(dir);
  for (const [name, body] of Object.entries(tools)) {
    await fs.writeFile(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return createCommandRunner({ env: { PATH: dir } });
}

function probe(report: HardwareReport, name: string): ProbeResult | undefined {
  return report.probes.find((p) => p.name === name);
}

function expectSaneBasics(report: HardwareReport): void {
  expect(report.cpu.logicalCores).toBeGreaterThan(0);
  expect(report.cpu.physicalCores).toBeGreaterThan(0);
  expect(report.cpu.model.length).toBeGreaterThan(0);
  expect(report.memory.totalBytes).toBeGreaterThan(0);
  expect(report.memory.freeBytes).toBeGreaterThan(0);
  expect(report.memory.freeBytes).toBeLessThanOrEqual(report.memory.totalBytes);
  expect(report.disk?.freeBytes).toBeGreaterThan(0);
  expect(report.disk?.totalBytes).toBeGreaterThanOrEqual(report.disk?.freeBytes ?? 0);
  for (const p of report.probes) {
    expect(p.ms).toBeGreaterThanOrEqual(0);
    expect(p.ok || typeof p.error === 'string').toBe(true);
  }
}

describe('detectHardware on this machine', () => {
  it('reports the CPU, memory and disk, and does not throw', async () => {
    const modelsDir = path.join(tmp, 'models', 'not-created-yet');
    const report = await detectHardware({
      platform: process.platform,
      runner: createCommandRunner(),
      files: createFileReader(),
      modelsDir,
    });
    expectSaneBasics(report);
    expect(report.os.platform).toBe(process.platform);
    expect(report.os.arch).toBe(os.arch());
    expect(report.memory.totalBytes).toBe(os.totalmem());
    expect(report.cpu.logicalCores).toBe(os.cpus().length);
    expect(report.disk?.path).toBe(modelsDir);
    for (const name of ['os', 'cpu', 'cpu-flags', 'memory', 'disk']) {
      expect(probe(report, name)).toMatchObject({ ok: true });
    }
    // The build machines have no GPU and no DRM devices; elsewhere only the shape is checked.
    const gpuFree = process.platform === 'linux' && !existsSync('/sys/class/drm') && !existsSync('/dev/nvidia0');
    if (gpuFree) {
      expect(report.gpus).toEqual([]);
      expect(summarizeHardware(report)[0]).toBe('No dedicated GPU found — Easel will use the CPU');
    }
    for (const gpu of report.gpus) {
      expect(gpu.name.length).toBeGreaterThan(0);
      expect(gpu.source.length).toBeGreaterThan(0);
    }
  });
});

describe.skipIf(process.platform === 'win32')('detectHardware with recorded tools', () => {
  const modelsDir = (): string => tmp;

  it('Linux laptop: NVIDIA GPU from nvidia-smi + lspci, the Intel iGPU, AVX2 from /proc/cpuinfo', async () => {
    const runner = await fakeTools({
      lspci: printsFixture('lspci/laptop-nvidia-intel.txt'),
      'nvidia-smi': printsFixture('nvidia-smi/laptop-rtx3060.csv'),
    });
    const report = await detectHardware({
      platform: 'linux',
      runner,
      files: createFileReader({ root: fixturePath('linux-nvidia-intel-root') }),
      modelsDir: modelsDir(),
    });
    expectSaneBasics(report);
    expect(report.gpus).toEqual([
      {
        vendor: 'nvidia',
        name: 'NVIDIA GeForce RTX 3060 Laptop GPU',
        vramBytes: 6 * GiB,
        driver: '545.29.06',
        unifiedMemory: false,
        source: 'nvidia-smi+lspci+sysfs',
        pciId: '10de:2560',
        busId: '0000:01:00.0',
      },
      {
        vendor: 'intel',
        name: 'Intel Iris Xe Graphics',
        vramBytes: null,
        driver: null,
        unifiedMemory: false,
        source: 'lspci+sysfs',
        pciId: '8086:46a6',
        busId: '0000:00:02.0',
      },
    ]);
    expect(report.cpu).toMatchObject({ avx2: true, avx512: false });
    expect(report.probes.filter((p) => !p.ok)).toEqual([]);
    expect(report.probes.map((p) => p.name)).toEqual(['os', 'cpu', 'cpu-flags', 'memory', 'disk', 'lspci', 'sysfs', 'nvidia-smi']);
  });

  it('Linux AMD: VRAM from mem_info_vram_total, nvidia-smi not installed', async () => {
    const runner = await fakeTools({ lspci: printsFixture('lspci/desktop-amd.txt') });
    const report = await detectHardware({
      platform: 'linux',
      runner,
      files: createFileReader({ root: fixturePath('linux-amd-root') }),
      modelsDir: modelsDir(),
    });
    expect(report.gpus).toEqual([
      {
        vendor: 'amd',
        name: 'AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT',
        vramBytes: 12868124672,
        driver: null,
        unifiedMemory: false,
        source: 'sysfs+lspci',
        pciId: '1002:73df',
        busId: '0000:03:00.0',
      },
    ]);
    expect(probe(report, 'nvidia-smi')).toMatchObject({ ok: false, error: 'nvidia-smi is not installed or not on the PATH.' });
    expect(summarizeHardware(report)[0]).toBe('AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT, 12 GB');
  });

  it('a broken NVIDIA driver and a hanging lspci fail alone, within the time limit', async () => {
    const runner = await fakeTools({
      lspci: HANGS,
      'nvidia-smi': printsFixture('nvidia-smi/driver-failed.txt', 9),
    });
    const started = Date.now();
    const report = await detectHardware({
      platform: 'linux',
      runner,
      files: createFileReader({ root: fixturePath('linux-vm-root') }),
      modelsDir: modelsDir(),
      timeoutMs: 1500,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expectSaneBasics(report);
    expect(report.gpus).toEqual([]);
    expect(report.cpu).toMatchObject({ avx2: true, avx512: true });
    expect(probe(report, 'lspci')).toMatchObject({ ok: false });
    expect(probe(report, 'lspci')?.error).toMatch(/^lspci did not (finish|answer) within 1.5 s/);
    expect(probe(report, 'nvidia-smi')?.error).toMatch(/^nvidia-smi could not talk to the NVIDIA driver: NVIDIA-SMI has failed/);
    expect(probe(report, 'sysfs')).toMatchObject({ ok: true });
    // With our probes empty and nvidia-smi answering, systeminformation is asked as a last resort.
    expect(probe(report, 'systeminformation')).toMatchObject({ ok: true });
  });

  it('never asks systeminformation after nvidia-smi hung, since it would run nvidia-smi without a limit', async () => {
    const runner = await fakeTools({ 'nvidia-smi': HANGS, lspci: printsFixture('nvidia-smi/garbage.txt') });
    const report = await detectHardware({
      platform: 'linux',
      runner,
      files: createFileReader({ root: fixturePath('linux-vm-root') }),
      modelsDir: modelsDir(),
      timeoutMs: 1500,
    });
    expect(probe(report, 'nvidia-smi')?.error).toMatch(/did not (finish|answer)/);
    expect(probe(report, 'lspci')?.error).toMatch(/^lspci printed output Easel cannot read/);
    expect(probe(report, 'systeminformation')).toBeUndefined();
    expect(report.gpus).toEqual([]);
  });

  it('Windows: 12 GB from the registry instead of AdapterRAM, no ghost of a removed card, AVX2 from PowerShell', async () => {
    const registry = (file: string): string => `/bin/cat ${quote(fixturePath('windows', file))}`;
    const runner = await fakeTools({
      powershell: [
        'case "$*" in',
        `  *Win32_VideoController*) ${printsFixture('windows/win32-video-controller-nvidia-intel.json').replace('\n', ' ;; #')}`,
        "  *EncodedCommand*) printf 'avx2=True\\r\\navx512f=False\\r\\n' ;;",
        'esac',
      ].join('\n'),
      reg: [
        'case "$2" in',
        `  *'\\0000') ${registry('reg-0000-intel.txt')} ;;`,
        `  *'\\0001') ${registry('reg-0001-nvidia.txt')} ;;`,
        `  *'\\0002') ${registry('reg-0002-removed-amd.txt')} ;;`,
        `  *) ${registry('reg-class.txt')} ;;`,
        'esac',
      ].join('\n'),
      'nvidia-smi': printsFixture('nvidia-smi/windows-rtx3060.csv'),
    });
    const report = await detectHardware({
      platform: 'win32',
      runner,
      files: createFileReader({ root: path.join(tmp, 'no-such-root') }),
      modelsDir: modelsDir(),
      electronGpuInfo: JSON.parse(await fs.readFile(fixturePath('electron/gpu-info-windows.json'), 'utf8')),
    });
    expect(report.os.platform).toBe('win32');
    expect(report.cpu).toMatchObject({ avx2: true, avx512: false });
    expect(report.gpus.map((g) => [g.vendor, g.name, g.vramBytes, g.driver, g.source])).toEqual([
      ['nvidia', 'NVIDIA GeForce RTX 3060', 12884901888, '546.33', 'nvidia-smi+win32-video-controller+registry+electron'],
      ['intel', 'Intel(R) UHD Graphics 770', GiB, '31.0.101.4502', 'registry+win32-video-controller+electron'],
    ]);
    expect(report.probes.filter((p) => !p.ok)).toEqual([]);
    expect(summarizeHardware(report)[0]).toBe('NVIDIA GeForce RTX 3060, 12 GB');
  });

  it('macOS on Apple M2: unified memory is the RAM, and there is no AVX', async () => {
    const runner = await fakeTools({
      system_profiler: printsFixture('macos/system-profiler-m2.json'),
      sysctl: printsFixture('macos/sysctl-apple-silicon.stderr.txt', 1, 'stderr'),
    });
    const report = await detectHardware({
      platform: 'darwin',
      runner,
      files: createFileReader({ root: path.join(tmp, 'no-such-root') }),
      modelsDir: modelsDir(),
    });
    expect(report.gpus).toEqual([
      {
        vendor: 'apple',
        name: 'Apple M2',
        vramBytes: report.memory.totalBytes,
        driver: null,
        unifiedMemory: true,
        source: 'system-profiler',
      },
    ]);
    expect(report.cpu).toMatchObject({ avx2: false, avx512: false });
    expect(summarizeHardware(report)[0]).toMatch(/^Apple M2, \d+(\.\d)? GB unified memory shared with the system$/);
  });

  it('reports a disk it cannot read as null, with the reason', async () => {
    const runner = await fakeTools({});
    const file = path.join(tmp, 'a-file');
    await fs.writeFile(file, 'x');
    const report = await detectHardware({
      platform: 'linux',
      runner,
      files: createFileReader({ root: fixturePath('linux-vm-root') }),
      modelsDir: path.join(file, 'models'),
    });
    expect(report.disk).toBeNull();
    expect(probe(report, 'disk')).toMatchObject({ ok: false });
    expect(probe(report, 'disk')?.error).toMatch(/ENOTDIR/);
  });
});
