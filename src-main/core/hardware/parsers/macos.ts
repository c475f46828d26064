import { isNonGpuDisplay, normalizePciHex, pciId, vendorFromName, vendorFromPciId } from '../pci';
import type { GpuCandidate, GpuVendor } from '../types';
import { unreadableOutput } from './errors';

export const SYSTEM_PROFILER_ARGS = ['SPDisplaysDataType', '-json'] as const;

/** "4 GB", "1536 MB": system_profiler counts in binary units. */
export function parseProfilerMemory(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(MB|GB|TB)\s*$/i.exec(value);
  if (!match?.[1] || !match[2]) return null;
  const power = { MB: 2, GB: 3, TB: 4 }[match[2].toUpperCase() as 'MB' | 'GB' | 'TB'];
  return Math.round(Number(match[1]) * 1024 ** power);
}

/** `sppci_vendor_Apple`, `sppci_vendor_amd`, or older `NVIDIA (0x10de)`. */
function profilerVendor(vendorField: string, vendorIdField: string | undefined, name: string): GpuVendor {
  const fromId = vendorFromPciId(normalizePciHex(vendorIdField) ?? normalizePciHex(/0x[0-9a-f]{4}/i.exec(vendorField)?.[0]));
  if (fromId) return fromId;
  const fromField = vendorFromName(vendorField.replace(/^sppci_vendor_/i, ''));
  return fromField !== 'other' ? fromField : vendorFromName(name);
}

/**
 * Reads `system_profiler SPDisplaysDataType -json`. Apple Silicon lists no VRAM: its GPU uses the
 * unified system memory, which the caller fills in from the RAM total.
 */
export function parseSystemProfilerDisplays(stdout: string): GpuCandidate[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw unreadableOutput('system_profiler', 'not JSON', stdout);
  }
  const items = (parsed as { SPDisplaysDataType?: unknown } | null)?.SPDisplaysDataType;
  if (!Array.isArray(items)) throw unreadableOutput('system_profiler', 'no SPDisplaysDataType list', stdout);
  const gpus: GpuCandidate[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const fields = item as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined);
    const name = text('sppci_model') ?? text('_name');
    if (!name) continue;
    const vendorIdField = text('spdisplays_vendor-id');
    const vendor = profilerVendor(text('spdisplays_vendor') ?? '', vendorIdField, name);
    const vendorHex = normalizePciHex(vendorIdField);
    if (isNonGpuDisplay(vendorHex, name)) continue;
    const unifiedMemory = vendor === 'apple';
    const id = pciId(vendorHex, normalizePciHex(text('spdisplays_device-id')));
    gpus.push({
      source: 'system-profiler',
      vendor,
      name,
      vramBytes: unifiedMemory
        ? null
        : parseProfilerMemory(fields['spdisplays_vram']) ?? parseProfilerMemory(fields['spdisplays_vram_shared']),
      driver: null,
      unifiedMemory,
      ...(id ? { pciId: id } : {}),
    });
  }
  return gpus;
}
