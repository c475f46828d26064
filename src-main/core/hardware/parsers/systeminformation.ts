import { isNonGpuDisplay, normalizeBusId, normalizePciHex, pciId, vendorOf } from '../pci';
import type { GpuCandidate } from '../types';

const MIB = 1024 * 1024;

function text(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function positive(record: Record<string, unknown>, key: string): number | undefined {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Reads `si.graphics()`: controllers with vram/memoryTotal in MiB and ids as hex strings. */
export function parseSystemInformationGraphics(data: unknown): GpuCandidate[] {
  const controllers = (data as { controllers?: unknown } | null)?.controllers;
  if (!Array.isArray(controllers)) return [];
  const gpus: GpuCandidate[] = [];
  for (const controller of controllers) {
    if (typeof controller !== 'object' || controller === null) continue;
    const fields = controller as Record<string, unknown>;
    const name = text(fields, 'name') ?? text(fields, 'model') ?? null;
    const vendorHex = normalizePciHex(text(fields, 'vendorId'));
    const vendorName = `${text(fields, 'vendor') ?? ''} ${name ?? ''}`.trim();
    if (!name || isNonGpuDisplay(vendorHex, vendorName)) continue;
    const vendor = vendorOf(vendorHex, vendorName);
    const mebibytes = positive(fields, 'memoryTotal') ?? positive(fields, 'vram');
    const busId = normalizeBusId(text(fields, 'pciBus') ?? text(fields, 'busAddress'));
    const id = pciId(vendorHex, normalizePciHex(text(fields, 'deviceId')));
    gpus.push({
      source: 'systeminformation',
      vendor,
      name,
      vramBytes: vendor === 'apple' || mebibytes === undefined ? null : Math.round(mebibytes * MIB),
      driver: text(fields, 'driverVersion') ?? null,
      unifiedMemory: vendor === 'apple',
      ...(id ? { pciId: id } : {}),
      ...(busId ? { busId } : {}),
    });
  }
  return gpus;
}
