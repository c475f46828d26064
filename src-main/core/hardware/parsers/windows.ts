import { isNonGpuDisplay, normalizePciHex, pciId, vendorOf } from '../pci';
import type { GpuCandidate } from '../types';
import { unreadableOutput } from './errors';

export const WIN32_VIDEO_CONTROLLER_ARGS = [
  '-NoProfile',
  '-NonInteractive',
  '-Command',
  'Get-CimInstance Win32_VideoController | Select-Object Name,AdapterRAM,DriverVersion,PNPDeviceID | ConvertTo-Json',
] as const;

/** The display adapter device class; each adapter's driver settings live in a numbered subkey. */
export const DISPLAY_CLASS_KEY =
  'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}';

/**
 * AdapterRAM is a 32-bit field: cards with 4 GB or more all report this saturated value (or
 * just under 4 GiB), so it says "at least 4 GB", not how much.
 */
const ADAPTER_RAM_SATURATED = 0xfff00000;

interface PnpIds {
  vendorHex?: string;
  deviceHex?: string;
}

/** `PCI\VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1\4&...` (any case) -> vendor and device ids. */
export function parsePnpDeviceId(value: string): PnpIds {
  const match = /^pci\\ven_([0-9a-f]{4})&dev_([0-9a-f]{4})/i.exec(value.trim());
  if (!match) return {};
  return { vendorHex: normalizePciHex(match[1]), deviceHex: normalizePciHex(match[2]) };
}

function stringField(record: Record<string, unknown>, key: string): string | null {
  const value = record[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * Reads `Get-CimInstance Win32_VideoController | Select-Object ... | ConvertTo-Json`: an array,
 * a single object when there is one adapter, or nothing at all when there is none.
 */
export function parseWin32VideoControllers(stdout: string): GpuCandidate[] {
  const text = stdout.replace(/^\uFEFF/, '').trim();
  if (text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unreadableOutput('Win32_VideoController query', 'not JSON', text);
  }
  const records = Array.isArray(parsed) ? parsed : [parsed];
  const gpus: GpuCandidate[] = [];
  for (const record of records) {
    if (typeof record !== 'object' || record === null) {
      throw unreadableOutput('Win32_VideoController query', 'expected objects', text);
    }
    const fields = record as Record<string, unknown>;
    const name = stringField(fields, 'Name');
    const pnp = stringField(fields, 'PNPDeviceID') ?? '';
    const { vendorHex, deviceHex } = parsePnpDeviceId(pnp);
    // Adapters that are not PCI devices (ROOT\..., SWD\...) are remote-desktop or virtual displays.
    if (!vendorHex || isNonGpuDisplay(vendorHex, name)) continue;
    const ram = fields['AdapterRAM'];
    const id = pciId(vendorHex, deviceHex);
    gpus.push({
      source: 'win32-video-controller',
      vendor: vendorOf(vendorHex, name),
      name,
      vramBytes: typeof ram === 'number' && ram > 0 && ram < ADAPTER_RAM_SATURATED ? ram : null,
      driver: stringField(fields, 'DriverVersion'),
      unifiedMemory: false,
      ...(id ? { pciId: id } : {}),
    });
  }
  return gpus;
}

export interface RegistryValue {
  type: string;
  data: string;
}

export interface RegistryKey {
  path: string;
  values: Record<string, RegistryValue>;
}

/**
 * Reads `reg query <key>` output: a key path on its own line, then its values indented by four
 * spaces as `name    REG_TYPE    data`; subkeys follow as bare paths.
 */
export function parseRegQuery(stdout: string): RegistryKey[] {
  const keys: RegistryKey[] = [];
  let current: RegistryKey | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    if (/^HKEY_/i.test(line)) {
      current = { path: line.trim(), values: {} };
      keys.push(current);
      continue;
    }
    const value = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(line.trimEnd());
    if (value && current && value[1] && value[2]) {
      current.values[value[1]] = { type: value[2], data: (value[3] ?? '').trim() };
    }
  }
  return keys;
}

/** The adapter subkeys (0000, 0001, ...) listed under the display class key. */
export function adapterSubkeys(stdout: string): string[] {
  return parseRegQuery(stdout)
    .map((key) => /\\(\d{4})$/.exec(key.path)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** REG_QWORD `0x300000000`, REG_DWORD `0xfff00000`, or REG_BINARY little-endian `0000000003000000`. */
export function registryNumber(value: RegistryValue | undefined): number | null {
  if (!value) return null;
  const data = value.data.replace(/\s+/g, '');
  if (value.type === 'REG_QWORD' || value.type === 'REG_DWORD') {
    return /^0x[0-9a-f]+$/i.test(data) ? Number(BigInt(data)) : null;
  }
  if (value.type === 'REG_BINARY' && /^([0-9a-f]{2}){1,8}$/i.test(data)) {
    const bytes = data.match(/../g) ?? [];
    return Number(BigInt(`0x${bytes.reverse().join('') || '0'}`));
  }
  return null;
}

/** One adapter subkey: DriverDesc, MatchingDeviceId, DriverVersion and the 64-bit memory size. */
export function parseDisplayRegistryAdapter(key: RegistryKey): GpuCandidate | null {
  const name = key.values['DriverDesc']?.data.trim() || null;
  const { vendorHex, deviceHex } = parsePnpDeviceId(key.values['MatchingDeviceId']?.data ?? '');
  if (!vendorHex || isNonGpuDisplay(vendorHex, name)) return null;
  const qwSize = registryNumber(key.values['HardwareInformation.qwMemorySize']);
  const dwSize = registryNumber(key.values['HardwareInformation.MemorySize']);
  const vramBytes = qwSize && qwSize > 0 ? qwSize : dwSize && dwSize > 0 && dwSize < ADAPTER_RAM_SATURATED ? dwSize : null;
  const id = pciId(vendorHex, deviceHex);
  return {
    source: 'registry',
    vendor: vendorOf(vendorHex, name),
    name,
    vramBytes,
    driver: key.values['DriverVersion']?.data.trim() || null,
    unifiedMemory: false,
    ...(id ? { pciId: id } : {}),
  };
}
