import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import si from 'systeminformation';
import { EaselError } from '../errors';
import type { CommandRunner } from './command-runner';
import type { FileReader } from './file-reader';
import { mergeGpuCandidates } from './merge';
import {
  cpuFeaturesFromFlags,
  parseDarwinSysctlFeatures,
  parseProcCpuinfo,
  parseWindowsCpuFeatures,
  WINDOWS_CPU_FEATURES_ARGS,
} from './parsers/cpu-flags';
import { parseElectronGpuInfo } from './parsers/electron';
import { LSPCI_ARGS, parseLspci } from './parsers/lspci';
import { parseSystemProfilerDisplays, SYSTEM_PROFILER_ARGS } from './parsers/macos';
import { NVIDIA_SMI_ARGS, parseNvidiaSmi } from './parsers/nvidia-smi';
import { DRM_CLASS_DIR, isDrmCardEntry, parseSysfsCard, type SysfsCardFiles } from './parsers/sysfs';
import { parseSystemInformationGraphics } from './parsers/systeminformation';
import {
  adapterSubkeys,
  DISPLAY_CLASS_KEY,
  parseDisplayRegistryAdapter,
  parseRegQuery,
  parseWin32VideoControllers,
  WIN32_VIDEO_CONTROLLER_ARGS,
} from './parsers/windows';
import type { CpuFeatures, GpuCandidate, GpuSource, HardwareReport, ProbeResult } from './types';

/** The part of systeminformation this module uses; tests and other hosts may pass their own. */
export interface SystemInfoSource {
  osInfo(): Promise<{ platform: string; distro: string; release: string; arch: string }>;
  cpu(): Promise<{ manufacturer: string; brand: string; physicalCores: number; cores: number }>;
  cpuFlags(): Promise<string>;
  mem(): Promise<{ total: number; free: number; available: number }>;
  graphics(): Promise<unknown>;
}

export interface DetectHardwareOptions {
  platform: NodeJS.Platform;
  runner: CommandRunner;
  files: FileReader;
  /** The models folder; its volume's free space is reported. It need not exist yet. */
  modelsDir: string;
  /** `app.getGPUInfo('complete')` from the Electron main process, as is. */
  electronGpuInfo?: unknown;
  /** Defaults to the systeminformation package. */
  system?: SystemInfoSource;
  /** Limit for each probe; a probe that takes longer is reported as failed. Default 8 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 8000;

interface Outcome<T> {
  value: T | undefined;
  probe: ProbeResult;
  timedOut: boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs one probe under a time limit; a failure becomes a ProbeResult instead of an exception. */
async function probe<T>(name: string, timeoutMs: number, work: () => Promise<T>): Promise<Outcome<T>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EaselError('io', `${name} did not answer within ${timeoutMs / 1000} s.`, { probe: name, reason: 'timeout' })),
      timeoutMs,
    );
  });
  try {
    const value = await Promise.race([work(), limit]);
    return { value, probe: { name, ok: true, ms: Math.round(performance.now() - started) }, timedOut: false };
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    const timedOut = error instanceof EaselError && (error.detail as { reason?: unknown } | undefined)?.reason === 'timeout';
    return { value: undefined, probe: { name, ok: false, ms, error: message(error) }, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

async function readOptional(files: FileReader, filePath: string): Promise<string | undefined> {
  try {
    return await files.readText(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function sysfsGpus(files: FileReader): Promise<GpuCandidate[]> {
  let entries: string[];
  try {
    entries = await files.listDir(DRM_CLASS_DIR);
  } catch (error) {
    // No DRM class at all: the kernel has no GPU driver loaded, which is an answer, not a failure.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const cards = entries.filter(isDrmCardEntry).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  const parsed = await Promise.all(
    cards.map(async (card) => {
      const dir = `${DRM_CLASS_DIR}/${card}/device`;
      const [vendor, device, uevent, memInfoVramTotal] = await Promise.all(
        ['vendor', 'device', 'uevent', 'mem_info_vram_total'].map((file) => readOptional(files, `${dir}/${file}`)),
      );
      const cardFiles: SysfsCardFiles = { vendor, device, uevent, memInfoVramTotal };
      return parseSysfsCard(cardFiles);
    }),
  );
  return parsed.filter((gpu): gpu is GpuCandidate => gpu !== null);
}

async function registryGpus(runner: CommandRunner, timeoutMs: number): Promise<GpuCandidate[]> {
  const list = await runner.run('reg', ['query', DISPLAY_CLASS_KEY], { timeoutMs });
  if (list.code !== 0) throw new EaselError('io', `reg query failed: ${(list.stderr || list.stdout).trim()}`);
  const adapters = await Promise.all(
    adapterSubkeys(list.stdout).map(async (subkey) => {
      const result = await runner.run('reg', ['query', `${DISPLAY_CLASS_KEY}\\${subkey}`], { timeoutMs });
      const key = parseRegQuery(result.stdout).find((k) => k.path.endsWith(`\\${subkey}`));
      return key ? parseDisplayRegistryAdapter(key) : null;
    }),
  );
  return adapters.filter((gpu): gpu is GpuCandidate => gpu !== null);
}

async function cpuFeatures(options: DetectHardwareOptions, system: SystemInfoSource, timeoutMs: number): Promise<CpuFeatures> {
  const { platform, runner, files } = options;
  if (platform === 'linux') {
    try {
      return parseProcCpuinfo(await files.readText('/proc/cpuinfo'));
    } catch (error) {
      const flags = await system.cpuFlags();
      if (!flags) throw error;
      return cpuFeaturesFromFlags(flags.split(/\s+/));
    }
  }
  if (platform === 'win32') {
    const result = await runner.run('powershell', WINDOWS_CPU_FEATURES_ARGS, { timeoutMs });
    return parseWindowsCpuFeatures(result.stdout);
  }
  if (platform === 'darwin') {
    const result = await runner.run('sysctl', ['machdep.cpu.features', 'machdep.cpu.leaf7_features'], { timeoutMs });
    return parseDarwinSysctlFeatures(result);
  }
  return cpuFeaturesFromFlags((await system.cpuFlags()).split(/\s+/));
}

/** The nearest folder that exists at or above `dir`, since the models folder may not exist yet. */
async function existingAncestor(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await fs.stat(current);
      return current;
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

async function diskSpace(modelsDir: string): Promise<NonNullable<HardwareReport['disk']>> {
  const stats = await fs.statfs(await existingAncestor(modelsDir));
  return { path: modelsDir, freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
}

function gpuProbes(options: DetectHardwareOptions, timeoutMs: number): { source: GpuSource; work: () => Promise<GpuCandidate[]> }[] {
  const { platform, runner, files } = options;
  const command = (cmd: string, args: readonly string[]) => runner.run(cmd, args, { timeoutMs });
  const nvidiaSmi = { source: 'nvidia-smi' as const, work: async () => parseNvidiaSmi(await command('nvidia-smi', NVIDIA_SMI_ARGS)) };
  if (platform === 'linux') {
    return [
      {
        source: 'lspci',
        work: async () => {
          const result = await command('lspci', LSPCI_ARGS);
          if (result.code !== 0) throw new EaselError('io', `lspci exited with code ${result.code}: ${result.stderr.trim()}`);
          return parseLspci(result.stdout);
        },
      },
      { source: 'sysfs', work: () => sysfsGpus(files) },
      nvidiaSmi,
    ];
  }
  if (platform === 'win32') {
    return [
      {
        source: 'win32-video-controller',
        work: async () => {
          const result = await command('powershell', WIN32_VIDEO_CONTROLLER_ARGS);
          if (result.code !== 0) throw new EaselError('io', `PowerShell exited with code ${result.code}: ${result.stderr.trim()}`);
          return parseWin32VideoControllers(result.stdout);
        },
      },
      { source: 'registry', work: () => registryGpus(runner, timeoutMs) },
      nvidiaSmi,
    ];
  }
  if (platform === 'darwin') {
    return [
      {
        source: 'system-profiler',
        work: async () => {
          const result = await command('system_profiler', SYSTEM_PROFILER_ARGS);
          if (result.code !== 0) throw new EaselError('io', `system_profiler exited with code ${result.code}: ${result.stderr.trim()}`);
          return parseSystemProfilerDisplays(result.stdout);
        },
      },
    ];
  }
  return [nvidiaSmi];
}

function byMemoryDescending(a: { vramBytes: number | null }, b: { vramBytes: number | null }): number {
  return (b.vramBytes ?? -1) - (a.vramBytes ?? -1);
}

/**
 * Looks at the OS, CPU, memory, disk space at the models folder and every GPU. Probes run in
 * parallel, each under `timeoutMs`; one that fails or hangs is listed in `probes` with the reason
 * and the rest of the report is still filled (from Node's `os` module where systeminformation
 * failed). GPUs come sorted by memory, largest first. Never throws for a machine's sake.
 */
export async function detectHardware(options: DetectHardwareOptions): Promise<HardwareReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const system: SystemInfoSource = options.system ?? si;

  const gpuJobs = gpuProbes(options, timeoutMs);
  const [osInfo, cpu, features, memory, disk, gpuResults] = await Promise.all([
    probe('os', timeoutMs, () => system.osInfo()),
    probe('cpu', timeoutMs, () => system.cpu()),
    probe('cpu-flags', timeoutMs, () => cpuFeatures(options, system, timeoutMs)),
    probe('memory', timeoutMs, () => system.mem()),
    probe('disk', timeoutMs, () => diskSpace(options.modelsDir)),
    Promise.all(gpuJobs.map((job) => probe(job.source, timeoutMs, job.work))),
  ]);
  const probes: ProbeResult[] = [osInfo.probe, cpu.probe, features.probe, memory.probe, disk.probe, ...gpuResults.map((r) => r.probe)];

  const groups: GpuCandidate[][] = gpuResults.map((r) => r.value ?? []);
  if (options.electronGpuInfo !== undefined) {
    const electron = await probe('electron', timeoutMs, async () => parseElectronGpuInfo(options.electronGpuInfo));
    probes.push(electron.probe);
    groups.push(electron.value ?? []);
  }

  // systeminformation's graphics() runs nvidia-smi synchronously with no time limit, which would
  // freeze this process if nvidia-smi hangs; so it is only a last resort when our probes found
  // nothing and nvidia-smi (if we ran it) did not hang.
  const nvidiaSmiHung = gpuResults.some((r) => r.probe.name === 'nvidia-smi' && r.timedOut);
  if (groups.every((group) => group.length === 0) && !nvidiaSmiHung) {
    const fallback = await probe('systeminformation', timeoutMs, async () => parseSystemInformationGraphics(await system.graphics()));
    probes.push(fallback.probe);
    groups.push(fallback.value ?? []);
  }

  const win32Listed = gpuResults.some((r) => r.probe.name === 'win32-video-controller' && r.probe.ok);
  const gpus = mergeGpuCandidates(groups, { enrichOnly: win32Listed ? new Set<GpuSource>(['registry']) : new Set() });

  const totalMemory = memory.value?.total ?? os.totalmem();
  for (const gpu of gpus) {
    if (gpu.unifiedMemory && gpu.vramBytes === null) gpu.vramBytes = totalMemory;
  }
  gpus.sort(byMemoryDescending);

  const cpus = os.cpus();
  const distro = osInfo.value?.distro;
  return {
    os: {
      platform: options.platform,
      release: osInfo.value?.release || os.release(),
      ...(distro ? { distro } : {}),
      arch: osInfo.value?.arch || os.arch(),
    },
    cpu: {
      model: (cpu.value ? `${cpu.value.manufacturer} ${cpu.value.brand}`.trim() : '') || cpus[0]?.model.trim() || 'Unknown processor',
      physicalCores: cpu.value?.physicalCores || cpus.length,
      logicalCores: cpu.value?.cores || cpus.length,
      avx2: features.value?.avx2 ?? false,
      avx512: features.value?.avx512 ?? false,
    },
    memory: {
      totalBytes: totalMemory,
      freeBytes: memory.value?.available ?? os.freemem(),
    },
    disk: disk.value ?? null,
    gpus,
    probes,
  };
}
