import { describe, expect, it } from 'vitest';
import { mergeGpuCandidates } from '../../../src-main/core/hardware/merge';
import { parseElectronGpuInfo } from '../../../src-main/core/hardware/parsers/electron';
import { parseLspci } from '../../../src-main/core/hardware/parsers/lspci';
import { parseNvidiaSmi } from '../../../src-main/core/hardware/parsers/nvidia-smi';
import { parseSysfsCard } from '../../../src-main/core/hardware/parsers/sysfs';
import { parseDisplayRegistryAdapter, parseRegQuery, parseWin32VideoControllers } from '../../../src-main/core/hardware/parsers/windows';
import type { GpuCandidate } from '../../../src-main/core/hardware/types';
import { fixture } from './fixture';

const GiB = 1024 ** 3;

function smi(file: string): GpuCandidate[] {
  return parseNvidiaSmi({ stdout: fixture('nvidia-smi', file), stderr: '', code: 0 });
}

function registry(...files: string[]): GpuCandidate[] {
  return files.flatMap((file) => parseRegQuery(fixture('windows', file)).map(parseDisplayRegistryAdapter)).filter((g): g is GpuCandidate => g !== null);
}

describe('mergeGpuCandidates', () => {
  it('joins lspci and nvidia-smi on the bus address: NVIDIA + Intel laptop', () => {
    const gpus = mergeGpuCandidates([parseLspci(fixture('lspci/laptop-nvidia-intel.txt')), smi('laptop-rtx3060.csv')]);
    expect(gpus).toEqual([
      {
        vendor: 'intel',
        name: 'Intel Iris Xe Graphics',
        vramBytes: null,
        driver: null,
        unifiedMemory: false,
        source: 'lspci',
        pciId: '8086:46a6',
        busId: '0000:00:02.0',
      },
      {
        vendor: 'nvidia',
        name: 'NVIDIA GeForce RTX 3060 Laptop GPU',
        vramBytes: 6 * GiB,
        driver: '545.29.06',
        unifiedMemory: false,
        source: 'nvidia-smi+lspci',
        pciId: '10de:2560',
        busId: '0000:01:00.0',
      },
    ]);
  });

  it('takes AMD VRAM from sysfs and the name from lspci', () => {
    const sysfs = parseSysfsCard({
      vendor: '0x1002\n',
      device: '0x73df\n',
      uevent: 'PCI_ID=1002:73DF\nPCI_SLOT_NAME=0000:03:00.0\n',
      memInfoVramTotal: '12868124672\n',
    });
    const gpus = mergeGpuCandidates([parseLspci(fixture('lspci/desktop-amd.txt')), sysfs ? [sysfs] : []]);
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toMatchObject({ name: 'AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT', vramBytes: 12868124672, source: 'sysfs+lspci' });
  });

  it('prefers qwMemorySize over the 32-bit AdapterRAM on Windows and matches nvidia-smi by name', () => {
    const gpus = mergeGpuCandidates(
      [
        parseWin32VideoControllers(fixture('windows/win32-video-controller-nvidia-intel.json')),
        registry('reg-0000-intel.txt', 'reg-0001-nvidia.txt', 'reg-0002-removed-amd.txt'),
        smi('windows-rtx3060.csv'),
        parseElectronGpuInfo(JSON.parse(fixture('electron/gpu-info-windows.json'))),
      ],
      { enrichOnly: new Set(['registry']) },
    );
    expect(gpus.map((g) => [g.name, g.vramBytes, g.driver, g.source, g.pciId])).toEqual([
      ['Intel(R) UHD Graphics 770', GiB, '31.0.101.4502', 'registry+win32-video-controller+electron', '8086:4680'],
      ['NVIDIA GeForce RTX 3060', 12884901888, '546.33', 'nvidia-smi+win32-video-controller+registry+electron', '10de:2504'],
    ]);
  });

  it('replaces the saturated AdapterRAM with qwMemorySize when there is no nvidia-smi (AMD on Windows)', () => {
    const [rx6600] = parseRegQuery(
      '\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}\\0000\r\n' +
        '    DriverDesc    REG_SZ    AMD Radeon RX 6600\r\n' +
        '    DriverVersion    REG_SZ    31.0.21912.14\r\n' +
        '    MatchingDeviceId    REG_SZ    PCI\\VEN_1002&DEV_73FF&REV_C7\r\n' +
        '    HardwareInformation.qwMemorySize    REG_QWORD    0x200000000\r\n',
    ).map(parseDisplayRegistryAdapter);
    const gpus = mergeGpuCandidates(
      [parseWin32VideoControllers(fixture('windows/win32-video-controller-single-amd.json')), rx6600 ? [rx6600] : []],
      { enrichOnly: new Set(['registry']) },
    );
    expect(gpus).toEqual([
      {
        vendor: 'amd',
        name: 'AMD Radeon RX 6600',
        vramBytes: 8 * GiB,
        driver: '31.0.21912.14',
        unifiedMemory: false,
        source: 'registry+win32-video-controller',
        pciId: '1002:73ff',
      },
    ]);
  });

  it('lets the registry add GPUs when it is the only listing', () => {
    const gpus = mergeGpuCandidates([registry('reg-0001-nvidia.txt', 'reg-0002-removed-amd.txt')]);
    expect(gpus.map((g) => g.name)).toEqual(['NVIDIA GeForce RTX 3060', 'Radeon RX 580 Series']);
  });

  it('keeps two identical cards apart', () => {
    const lspci = parseLspci(
      '0000:01:00.0 "VGA compatible controller [0300]" "NVIDIA Corporation [10de]" "GA102 [GeForce RTX 3090] [2204]" -ra1 "" ""\n' +
        '0000:02:00.0 "VGA compatible controller [0300]" "NVIDIA Corporation [10de]" "GA102 [GeForce RTX 3090] [2204]" -ra1 "" ""\n',
    );
    const nvidia = parseNvidiaSmi({
      stdout: 'NVIDIA GeForce RTX 3090, 24576, 100, 550.54.14, 00000000:02:00.0\nNVIDIA GeForce RTX 3090, 24576, 24000, 550.54.14, 00000000:01:00.0\n',
      stderr: '',
      code: 0,
    });
    const electron = parseElectronGpuInfo({ gpuDevice: [{ vendorId: 0x10de, deviceId: 0x2204 }, { vendorId: 0x10de, deviceId: 0x2204 }] });
    const gpus = mergeGpuCandidates([lspci, nvidia, electron]);
    expect(gpus.map((g) => [g.busId, g.source])).toEqual([
      ['0000:01:00.0', 'nvidia-smi+lspci+electron'],
      ['0000:02:00.0', 'nvidia-smi+lspci+electron'],
    ]);
  });

  it('gives an id-only GPU to the one card of its vendor, and a placeholder name when nobody knows one', () => {
    const sysfsOnly = parseSysfsCard({ vendor: '0x10de', device: '0x2b85', uevent: 'PCI_SLOT_NAME=0000:65:00.0\n' });
    const [alone] = mergeGpuCandidates([sysfsOnly ? [sysfsOnly] : []]);
    expect(alone?.name).toBe('NVIDIA GPU (PCI 10de:2b85)');

    const electron = parseElectronGpuInfo({ gpuDevice: [{ vendorId: 0x10de, deviceId: 0x2504, driverVersion: '31.0.15.4633' }] });
    const gpus = mergeGpuCandidates([smi('rtx3060.csv'), electron]);
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toMatchObject({ name: 'NVIDIA GeForce RTX 3060', pciId: '10de:2504', source: 'nvidia-smi+electron' });
  });

  it('does not merge GPUs whose bus addresses differ even if their names match', () => {
    const gpus = mergeGpuCandidates([smi('two-gpus.csv'), smi('two-gpus.csv').map((g) => ({ ...g, busId: '0000:99:00.0' }))]);
    expect(gpus).toHaveLength(4);
  });
});
