import { isNonGpuDisplay, normalizePciHex, pciId, vendorOf } from '../pci';
import type { GpuCandidate } from '../types';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * Reads Electron's `app.getGPUInfo('complete')`, passed through as unknown: `gpuDevice` is a list
 * of `{ vendorId, deviceId, active, vendorString, deviceString, driverVendor, driverVersion }`
 * whose fields vary by platform and version. Anything unexpected is skipped, never thrown.
 */
export function parseElectronGpuInfo(info: unknown): GpuCandidate[] {
  if (!isRecord(info) || !Array.isArray(info['gpuDevice'])) return [];
  const gpus: GpuCandidate[] = [];
  for (const device of info['gpuDevice']) {
    if (!isRecord(device)) continue;
    const vendorHex = normalizePciHex(typeof device['vendorId'] === 'number' ? device['vendorId'] : undefined);
    const deviceHex = normalizePciHex(typeof device['deviceId'] === 'number' ? device['deviceId'] : undefined);
    const name = nonEmpty(device['deviceString']);
    // Chromium lists id 0 for devices it could not identify; without a name either there is nothing to say.
    if (!vendorHex && !name) continue;
    if (isNonGpuDisplay(vendorHex, name)) continue;
    const id = pciId(vendorHex, deviceHex);
    const vendor = vendorOf(vendorHex, name ?? nonEmpty(device['vendorString']));
    gpus.push({
      source: 'electron',
      vendor,
      name,
      vramBytes: null,
      driver: nonEmpty(device['driverVersion']),
      unifiedMemory: vendor === 'apple',
      ...(id ? { pciId: id } : {}),
    });
  }
  return gpus;
}
