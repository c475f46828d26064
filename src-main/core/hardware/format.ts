import { formatBytes, formatMemory } from '../format';
import type { GpuInfo, HardwareReport } from './types';

export const NO_GPU_SENTENCE = 'No dedicated GPU found — Easel will use the CPU';

/** "NVIDIA GeForce RTX 3060, 12 GB"; "Apple M2, 16 GB unified memory shared with the system". */
export function describeGpu(gpu: GpuInfo): string {
  if (gpu.vramBytes === null) return `${gpu.name}, memory size unknown`;
  if (gpu.unifiedMemory) return `${gpu.name}, ${formatMemory(gpu.vramBytes)} unified memory shared with the system`;
  return `${gpu.name}, ${formatMemory(gpu.vramBytes)}`;
}

function describeCpu(cpu: HardwareReport['cpu']): string {
  const cores =
    cpu.physicalCores > 0 && cpu.physicalCores !== cpu.logicalCores
      ? `${cpu.physicalCores} cores, ${cpu.logicalCores} threads`
      : `${cpu.logicalCores} cores`;
  const vector = cpu.avx512 ? ', AVX-512' : cpu.avx2 ? ', AVX2' : '';
  return `${cpu.model || 'Unknown processor'} (${cores}${vector})`;
}

/**
 * A few lines a person can read: the GPUs (or the sentence saying there is none), the processor,
 * memory, disk space for models, and which checks did not work.
 */
export function summarizeHardware(report: HardwareReport): string[] {
  const lines = report.gpus.length === 0 ? [NO_GPU_SENTENCE] : report.gpus.map(describeGpu);
  lines.push(describeCpu(report.cpu));
  lines.push(`${formatMemory(report.memory.totalBytes)} memory, ${formatMemory(report.memory.freeBytes)} available`);
  lines.push(
    report.disk
      ? `${formatBytes(report.disk.freeBytes)} free for models (of ${formatBytes(report.disk.totalBytes)})`
      : 'Free disk space for models could not be read',
  );
  const failed = report.probes.filter((probe) => !probe.ok);
  if (failed.length > 0) {
    const reasons = failed.map((probe) => {
      const error = (probe.error ?? 'failed').replace(/\.$/, '');
      return `${error.includes(probe.name) ? error : `${probe.name}: ${error}`}.`;
    });
    lines.push(`Checks that did not work: ${reasons.join(' ')}`);
  }
  return lines;
}
