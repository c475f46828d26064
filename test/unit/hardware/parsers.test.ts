import { describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { parseDarwinSysctlFeatures, parseProcCpuinfo, parseWindowsCpuFeatures, WINDOWS_CPU_FEATURES_ARGS } from '../../../src-main/core/hardware/parsers/cpu-flags';
import { parseElectronGpuInfo } from '../../../src-main/core/hardware/parsers/electron';
import { parseLspci } from '../../../src-main/core/hardware/parsers/lspci';
import { parseProfilerMemory, parseSystemProfilerDisplays } from '../../../src-main/core/hardware/parsers/macos';
import { parseNvidiaSmi } from '../../../src-main/core/hardware/parsers/nvidia-smi';
import { isDrmCardEntry, parseSysfsCard } from '../../../src-main/core/hardware/parsers/sysfs';
import { parseSystemInformationGraphics } from '../../../src-main/core/hardware/parsers/systeminformation';
import {
  adapterSubkeys,
  parseDisplayRegistryAdapter,
  parsePnpDeviceId,
  parseRegQuery,
  parseWin32VideoControllers,
  registryNumber,
} from '../../../src-main/core/hardware/parsers/windows';
import { fixture } from './fixture';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function ok(stdout: string) {
  return { stdout, stderr: '', code: 0 };
}

function thrownBy(fn: () => unknown): EaselError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EaselError);
    return error as EaselError;
  }
  throw new Error('expected a throw');
}

describe('nvidia-smi', () => {
  it('reads one GPU with exact memory, driver and bus id', () => {
    expect(parseNvidiaSmi(ok(fixture('nvidia-smi/rtx3060.csv')))).toEqual([
      {
        source: 'nvidia-smi',
        vendor: 'nvidia',
        name: 'NVIDIA GeForce RTX 3060',
        vramBytes: 12 * GiB,
        driver: '535.154.05',
        unifiedMemory: false,
        busId: '0000:01:00.0',
      },
    ]);
  });

  it('reads two GPUs and lower-cases the bus id', () => {
    const gpus = parseNvidiaSmi(ok(fixture('nvidia-smi/two-gpus.csv')));
    expect(gpus.map((g) => [g.name, g.vramBytes, g.busId])).toEqual([
      ['NVIDIA GeForce RTX 4090', 24564 * MiB, '0000:01:00.0'],
      ['NVIDIA GeForce RTX 3090', 24 * GiB, '0000:4c:00.0'],
    ]);
  });

  it('reads Windows CRLF output', () => {
    expect(parseNvidiaSmi(ok(fixture('nvidia-smi/windows-rtx3060.csv')))[0]?.driver).toBe('546.33');
  });

  it('keeps a GPU whose memory reads [N/A], with unknown memory', () => {
    const [gpu] = parseNvidiaSmi(ok(fixture('nvidia-smi/memory-not-available.csv')));
    expect(gpu?.name).toBe('NVIDIA A100-SXM4-80GB');
    expect(gpu?.vramBytes).toBeNull();
  });

  it('explains a driver that cannot be reached', () => {
    const error = thrownBy(() => parseNvidiaSmi({ stdout: fixture('nvidia-smi/driver-failed.txt'), stderr: '', code: 9 }));
    expect(error.code).toBe('io');
    expect(error.message).toMatch(/^nvidia-smi could not talk to the NVIDIA driver: NVIDIA-SMI has failed because it couldn't communicate/);
  });

  it('explains a driver/library version mismatch', () => {
    const error = thrownBy(() => parseNvidiaSmi({ stdout: fixture('nvidia-smi/version-mismatch.txt'), stderr: '', code: 18 }));
    expect(error.message).toContain('Driver/library version mismatch');
  });

  it('treats "No devices were found" as an answer: no NVIDIA GPU', () => {
    expect(parseNvidiaSmi({ stdout: fixture('nvidia-smi/no-devices.txt'), stderr: '', code: 6 })).toEqual([]);
  });

  it('rejects garbage with a message quoting it', () => {
    const error = thrownBy(() => parseNvidiaSmi(ok(fixture('nvidia-smi/garbage.txt'))));
    expect(error.message).toMatch(/^nvidia-smi printed output Easel cannot read/);
  });

  it('reports an unexplained non-zero exit with its code', () => {
    expect(thrownBy(() => parseNvidiaSmi({ stdout: '', stderr: 'Killed', code: 137 })).message).toBe('nvidia-smi exited with code 137: Killed');
  });
});

describe('lspci -D -mm -nn', () => {
  it('finds the Intel iGPU and the NVIDIA GPU of a laptop, with marketing names and ids', () => {
    expect(parseLspci(fixture('lspci/laptop-nvidia-intel.txt'))).toEqual([
      {
        source: 'lspci',
        vendor: 'intel',
        name: 'Intel Iris Xe Graphics',
        vramBytes: null,
        driver: null,
        unifiedMemory: false,
        busId: '0000:00:02.0',
        pciId: '8086:46a6',
      },
      {
        source: 'lspci',
        vendor: 'nvidia',
        name: 'NVIDIA GeForce RTX 3060 Mobile / Max-Q',
        vramBytes: null,
        driver: null,
        unifiedMemory: false,
        busId: '0000:01:00.0',
        pciId: '10de:2560',
      },
    ]);
  });

  it('names an AMD card and skips its HDMI audio function', () => {
    const gpus = parseLspci(fixture('lspci/desktop-amd.txt'));
    expect(gpus.map((g) => [g.vendor, g.name, g.pciId])).toEqual([
      ['amd', 'AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT', '1002:73df'],
    ]);
  });

  it('ignores the emulated VGA of a virtual machine', () => {
    expect(parseLspci(fixture('lspci/vm-no-gpu.txt'))).toEqual([]);
  });

  it('skips the server management VGA, keeps a 3D controller, and leaves unknown names empty', () => {
    const gpus = parseLspci(fixture('lspci/server-aspeed-nvidia.txt'));
    expect(gpus.map((g) => [g.name, g.pciId, g.busId])).toEqual([
      ['NVIDIA A100 PCIe 40GB', '10de:20f1', '0000:17:00.0'],
      [null, '10de:2b85', '0000:65:00.0'],
    ]);
  });

  it('accepts the plain -mm format without ids or domain', () => {
    const gpus = parseLspci('01:00.0 "VGA compatible controller" "NVIDIA Corporation" "GA106 [GeForce RTX 3060 Lite Hash Rate]" -ra1 "Micro-Star International Co., Ltd. [MSI]" "Device 397d"\n');
    expect(gpus).toEqual([
      expect.objectContaining({ vendor: 'nvidia', name: 'NVIDIA GeForce RTX 3060 Lite Hash Rate', busId: '0000:01:00.0' }),
    ]);
    expect(gpus[0]?.pciId).toBeUndefined();
  });

  it('rejects output that is not lspci -mm', () => {
    expect(thrownBy(() => parseLspci(fixture('nvidia-smi/garbage.txt'))).message).toMatch(/^lspci printed output Easel cannot read/);
  });
});

describe('sysfs DRM cards', () => {
  it('keeps card entries only', () => {
    expect(['card0', 'card0-DP-1', 'renderD128', 'card12', 'version'].filter(isDrmCardEntry)).toEqual(['card0', 'card12']);
  });

  it('reads AMD VRAM from mem_info_vram_total', () => {
    const root = 'linux-amd-root/sys/class/drm/card0/device';
    expect(
      parseSysfsCard({
        vendor: fixture(root, 'vendor'),
        device: fixture(root, 'device'),
        uevent: fixture(root, 'uevent'),
        memInfoVramTotal: fixture(root, 'mem_info_vram_total'),
      }),
    ).toEqual({
      source: 'sysfs',
      vendor: 'amd',
      name: null,
      vramBytes: 12868124672,
      driver: null,
      unifiedMemory: false,
      pciId: '1002:73df',
      busId: '0000:03:00.0',
    });
  });

  it('reports no VRAM for drivers without the file, and skips virtio', () => {
    const nvidia = 'linux-nvidia-intel-root/sys/class/drm/card1/device';
    expect(parseSysfsCard({ vendor: fixture(nvidia, 'vendor'), uevent: fixture(nvidia, 'uevent') })).toMatchObject({
      vendor: 'nvidia',
      vramBytes: null,
      pciId: '10de:2560',
    });
    const vm = 'linux-vm-root/sys/class/drm/card0/device';
    expect(parseSysfsCard({ vendor: fixture(vm, 'vendor'), device: fixture(vm, 'device') })).toBeNull();
    expect(parseSysfsCard({})).toBeNull();
  });
});

describe('CPU features', () => {
  it('finds AVX2 without AVX-512 on a Ryzen 5800X and on an Alder Lake i7', () => {
    expect(parseProcCpuinfo(fixture('cpuinfo/ryzen-5800x.txt'))).toEqual({ avx2: true, avx512: false });
    expect(parseProcCpuinfo(fixture('cpuinfo/i7-12700h.txt'))).toEqual({ avx2: true, avx512: false });
  });

  it('finds AVX-512 on a Xeon Gold', () => {
    expect(parseProcCpuinfo(fixture('cpuinfo/xeon-gold-6248.txt'))).toEqual({ avx2: true, avx512: true });
  });

  it('finds neither on ARM', () => {
    expect(parseProcCpuinfo(fixture('cpuinfo/raspberry-pi-4.txt'))).toEqual({ avx2: false, avx512: false });
  });

  it('rejects a cpuinfo without flags', () => {
    expect(thrownBy(() => parseProcCpuinfo('processor : 0\n')).message).toMatch(/no "flags" line/);
  });

  it('reads macOS leaf7 features, and Apple Silicon has none', () => {
    expect(parseDarwinSysctlFeatures({ stdout: fixture('macos/sysctl-intel-i9.txt'), stderr: '' })).toEqual({ avx2: true, avx512: false });
    expect(parseDarwinSysctlFeatures({ stdout: '', stderr: fixture('macos/sysctl-apple-silicon.stderr.txt') })).toEqual({ avx2: false, avx512: false });
  });

  it('reads the Windows IsProcessorFeaturePresent answers', () => {
    expect(parseWindowsCpuFeatures('avx2=True\r\navx512f=False\r\n')).toEqual({ avx2: true, avx512: false });
    expect(thrownBy(() => parseWindowsCpuFeatures('Add-Type : Cannot add type.')).message).toMatch(/^powershell printed output/);
  });

  it('sends PowerShell a UTF-16LE script that asks for features 40 and 41', () => {
    const encoded = WINDOWS_CPU_FEATURES_ARGS[WINDOWS_CPU_FEATURES_ARGS.indexOf('-EncodedCommand') + 1] ?? '';
    const script = Buffer.from(encoded, 'base64').toString('utf16le');
    expect(script).toContain('IsProcessorFeaturePresent(40)');
    expect(script).toContain('IsProcessorFeaturePresent(41)');
  });
});

describe('Windows', () => {
  it('parses PNP device ids in any case', () => {
    expect(parsePnpDeviceId('PCI\\VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1\\4&2B4B5C7B&0&0008')).toEqual({ vendorHex: '10de', deviceHex: '2504' });
    expect(parsePnpDeviceId('pci\\ven_10de&dev_2504')).toEqual({ vendorHex: '10de', deviceHex: '2504' });
    expect(parsePnpDeviceId('SWD\\REMOTEDISPLAYENUM\\RDPIDD_INDIRECTDISPLAY')).toEqual({});
  });

  it('reads Win32_VideoController JSON, ignoring the saturated 32-bit AdapterRAM and remote displays', () => {
    expect(parseWin32VideoControllers(fixture('windows/win32-video-controller-nvidia-intel.json'))).toEqual([
      {
        source: 'win32-video-controller',
        vendor: 'intel',
        name: 'Intel(R) UHD Graphics 770',
        vramBytes: 1073741824,
        driver: '31.0.101.4502',
        unifiedMemory: false,
        pciId: '8086:4680',
      },
      {
        source: 'win32-video-controller',
        vendor: 'nvidia',
        name: 'NVIDIA GeForce RTX 3060',
        vramBytes: null,
        driver: '31.0.15.4633',
        unifiedMemory: false,
        pciId: '10de:2504',
      },
    ]);
  });

  it('reads the single object PowerShell prints for one adapter, and nothing for none', () => {
    expect(parseWin32VideoControllers(fixture('windows/win32-video-controller-single-amd.json'))).toEqual([
      expect.objectContaining({ vendor: 'amd', name: 'AMD Radeon RX 6600', pciId: '1002:73ff', vramBytes: null }),
    ]);
    expect(parseWin32VideoControllers(fixture('windows/win32-video-controller-basic-display.json'))).toEqual([]);
    expect(parseWin32VideoControllers('\r\n')).toEqual([]);
  });

  it('rejects output that is not JSON', () => {
    expect(thrownBy(() => parseWin32VideoControllers("Get-CimInstance : Access denied\r\n")).message).toMatch(/not JSON/);
  });

  it('lists the numbered adapter subkeys of the display class', () => {
    expect(adapterSubkeys(fixture('windows/reg-class.txt'))).toEqual(['0000', '0001', '0002']);
  });

  it('turns AdapterRAM 4293918720 into the 12 GB of qwMemorySize', () => {
    const key = parseRegQuery(fixture('windows/reg-0001-nvidia.txt'))[0];
    expect(key?.values['HardwareInformation.qwMemorySize']).toEqual({ type: 'REG_QWORD', data: '0x300000000' });
    expect(key && parseDisplayRegistryAdapter(key)).toEqual({
      source: 'registry',
      vendor: 'nvidia',
      name: 'NVIDIA GeForce RTX 3060',
      vramBytes: 12884901888,
      driver: '31.0.15.4633',
      unifiedMemory: false,
      pciId: '10de:2504',
    });
  });

  it('falls back to a little-endian REG_BINARY MemorySize', () => {
    const key = parseRegQuery(fixture('windows/reg-0000-intel.txt'))[0];
    expect(key && parseDisplayRegistryAdapter(key)).toMatchObject({ vendor: 'intel', vramBytes: 1024 * MiB, pciId: '8086:4680' });
  });

  it('decodes registry numbers in each form', () => {
    expect(registryNumber({ type: 'REG_QWORD', data: '0x300000000' })).toBe(12884901888);
    expect(registryNumber({ type: 'REG_BINARY', data: '0000000003000000' })).toBe(12884901888);
    expect(registryNumber({ type: 'REG_DWORD', data: '0xfff00000' })).toBe(4293918720);
    expect(registryNumber({ type: 'REG_SZ', data: '12' })).toBeNull();
    expect(registryNumber({ type: 'REG_QWORD', data: 'banana' })).toBeNull();
  });
});

describe('macOS system_profiler', () => {
  it('reads an Apple M2 as unified memory, leaving the size to the RAM total', () => {
    expect(parseSystemProfilerDisplays(fixture('macos/system-profiler-m2.json'))).toEqual([
      { source: 'system-profiler', vendor: 'apple', name: 'Apple M2', vramBytes: null, driver: null, unifiedMemory: true },
    ]);
  });

  it('reads an Intel MacBook Pro with an AMD GPU and shared Intel graphics', () => {
    const gpus = parseSystemProfilerDisplays(fixture('macos/system-profiler-intel-amd.json'));
    expect(gpus.map((g) => [g.vendor, g.name, g.vramBytes, g.unifiedMemory])).toEqual([
      ['amd', 'AMD Radeon Pro 5500M', 4 * GiB, false],
      ['intel', 'Intel UHD Graphics 630', 1536 * MiB, false],
    ]);
  });

  it('parses memory strings in binary units', () => {
    expect(parseProfilerMemory('8 GB')).toBe(8 * GiB);
    expect(parseProfilerMemory('1536 MB')).toBe(1536 * MiB);
    expect(parseProfilerMemory('lots')).toBeNull();
  });

  it('rejects output without the displays list', () => {
    expect(thrownBy(() => parseSystemProfilerDisplays('{"SPHardwareDataType": []}')).message).toMatch(/no SPDisplaysDataType/);
    expect(thrownBy(() => parseSystemProfilerDisplays('2024-01-01 system_profiler[123] crashed')).message).toMatch(/not JSON/);
  });
});

describe('Electron getGPUInfo', () => {
  it('reads the PCI ids and drivers and drops the Basic Render Driver', () => {
    expect(parseElectronGpuInfo(JSON.parse(fixture('electron/gpu-info-windows.json')))).toEqual([
      { source: 'electron', vendor: 'nvidia', name: null, vramBytes: null, driver: '31.0.15.4633', unifiedMemory: false, pciId: '10de:2504' },
      { source: 'electron', vendor: 'intel', name: null, vramBytes: null, driver: '31.0.101.4502', unifiedMemory: false, pciId: '8086:4680' },
    ]);
  });

  it('never throws on unexpected shapes', () => {
    for (const input of [undefined, null, 42, 'gpu', [], {}, { gpuDevice: 'x' }, { gpuDevice: [null, 7, { vendorId: 'nvidia' }] }]) {
      expect(parseElectronGpuInfo(input)).toEqual([]);
    }
  });

  it('uses deviceString when Chromium fills it', () => {
    expect(parseElectronGpuInfo({ gpuDevice: [{ vendorId: 4203, deviceId: 0, deviceString: 'Apple M2', active: true }] })).toEqual([
      { source: 'electron', vendor: 'apple', name: 'Apple M2', vramBytes: null, driver: null, unifiedMemory: true },
    ]);
  });
});

describe('systeminformation graphics', () => {
  it('reads the NVIDIA controller and drops the QXL display', () => {
    expect(parseSystemInformationGraphics(JSON.parse(fixture('systeminformation/graphics-linux-nvidia.json')))).toEqual([
      {
        source: 'systeminformation',
        vendor: 'nvidia',
        name: 'NVIDIA GeForce RTX 3060',
        vramBytes: 12 * GiB,
        driver: '535.154.05',
        unifiedMemory: false,
        busId: '0000:01:00.0',
      },
    ]);
  });

  it('returns nothing for an empty or odd answer', () => {
    expect(parseSystemInformationGraphics({ controllers: [], displays: [] })).toEqual([]);
    expect(parseSystemInformationGraphics(null)).toEqual([]);
  });
});
