import { EaselError } from '../../errors';
import { normalizeBusId } from '../pci';
import type { GpuCandidate } from '../types';
import { unreadableOutput } from './errors';

export const NVIDIA_SMI_ARGS = [
  '--query-gpu=name,memory.total,memory.free,driver_version,pci.bus_id',
  '--format=csv,noheader,nounits',
] as const;

const MIB = 1024 * 1024;

/** Messages nvidia-smi prints (to stdout, exit code non-zero) when the driver is missing or broken. */
const DRIVER_FAILURE =
  /NVIDIA-SMI has failed|couldn't communicate with the NVIDIA driver|Failed to initialize NVML|Driver\/library version mismatch|Unable to determine the device handle/i;

function mebibytes(field: string): number | null {
  // "[N/A]" or "[Insufficient Permissions]" appear in place of numbers on some setups.
  return /^\d+(\.\d+)?$/.test(field) ? Math.round(Number(field) * MIB) : null;
}

/** Reads `nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version,pci.bus_id --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(result: { stdout: string; stderr: string; code: number }): GpuCandidate[] {
  const text = `${result.stdout}\n${result.stderr}`.trim();
  if (DRIVER_FAILURE.test(text)) {
    const line = text.split(/\r?\n/).find((l) => DRIVER_FAILURE.test(l)) ?? text;
    throw new EaselError('io', `nvidia-smi could not talk to the NVIDIA driver: ${line.trim()}`, {
      tool: 'nvidia-smi',
      exitCode: result.code,
    });
  }
  if (/No devices were found/i.test(text)) return [];
  if (result.code !== 0) {
    throw new EaselError('io', `nvidia-smi exited with code ${result.code}: ${text.split(/\r?\n/, 1)[0] ?? ''}`, {
      tool: 'nvidia-smi',
      exitCode: result.code,
    });
  }

  const gpus: GpuCandidate[] = [];
  const lines = result.stdout.split(/\r?\n/).filter((line) => line.trim() !== '');
  for (const line of lines) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length !== 5) continue;
    const [name, total, , driver, bus] = fields as [string, string, string, string, string];
    const busId = normalizeBusId(bus);
    if (!name || !busId) continue;
    gpus.push({
      source: 'nvidia-smi',
      vendor: 'nvidia',
      name,
      vramBytes: mebibytes(total),
      driver: /^\d+(\.\d+)+$/.test(driver) ? driver : null,
      unifiedMemory: false,
      busId,
    });
  }
  if (gpus.length === 0 && lines.length > 0) {
    throw unreadableOutput('nvidia-smi', 'expected "name, memory, memory, driver, bus id" lines', result.stdout);
  }
  return gpus;
}
