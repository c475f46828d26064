import { isNonGpuDisplay, normalizeBusId, normalizePciHex, pciId, vendorOf } from '../pci';
import type { GpuCandidate } from '../types';

export const DRM_CLASS_DIR = '/sys/class/drm';

/** `card0`, `card1`: the GPUs. `card0-DP-1` (connectors) and `renderD128` (render nodes) are not. */
export function isDrmCardEntry(entry: string): boolean {
  return /^card\d+$/.test(entry);
}

/** The files read from /sys/class/drm/cardN/device; each is undefined when it does not exist. */
export interface SysfsCardFiles {
  vendor?: string;
  device?: string;
  uevent?: string;
  /** amdgpu only: dedicated VRAM in bytes. */
  memInfoVramTotal?: string;
}

function ueventValue(uevent: string | undefined, key: string): string | undefined {
  const line = uevent?.split(/\r?\n/).find((l) => l.startsWith(`${key}=`));
  return line?.slice(key.length + 1).trim();
}

export function parseSysfsCard(files: SysfsCardFiles): GpuCandidate | null {
  const ids = ueventValue(files.uevent, 'PCI_ID')?.split(':');
  const vendorHex = normalizePciHex(files.vendor) ?? normalizePciHex(ids?.[0]);
  const deviceHex = normalizePciHex(files.device) ?? normalizePciHex(ids?.[1]);
  // Not a PCI device (e.g. a platform GPU on an ARM board) or a virtual display: nothing to report.
  if (!vendorHex || isNonGpuDisplay(vendorHex, null)) return null;
  const vram = files.memInfoVramTotal?.trim();
  const busId = normalizeBusId(ueventValue(files.uevent, 'PCI_SLOT_NAME'));
  const id = pciId(vendorHex, deviceHex);
  return {
    source: 'sysfs',
    vendor: vendorOf(vendorHex, null),
    name: null,
    vramBytes: vram && /^\d+$/.test(vram) && Number(vram) > 0 ? Number(vram) : null,
    driver: null,
    unifiedMemory: false,
    ...(id ? { pciId: id } : {}),
    ...(busId ? { busId } : {}),
  };
}
