import type { GpuVendor } from './types';

const VENDOR_BY_PCI_ID: Record<string, GpuVendor> = {
  '10de': 'nvidia',
  '1002': 'amd',
  '1022': 'amd',
  '8086': 'intel',
  '106b': 'apple',
};

/**
 * Display adapters that are not GPUs one can run a model on: emulated VGA in virtual machines,
 * server management chips (ASPEED, Matrox), and Windows/Chromium software renderers.
 */
const NON_GPU_DISPLAY_VENDORS = new Set([
  '1234', // QEMU/Bochs standard VGA
  '1af4', // virtio-gpu
  '1b36', // QXL
  '1013', // Cirrus Logic (emulated)
  '15ad', // VMware SVGA
  '80ee', // VirtualBox
  '1414', // Microsoft Basic Display/Render, Hyper-V
  '1a03', // ASPEED server management
  '102b', // Matrox server management
  '1ae0', // Google SwiftShader
]);

const NON_GPU_NAME =
  /microsoft basic (display|render)|microsoft remote display|hyper-v|vmware svga|virtualbox|virtio|\bqxl\b|cirrus logic|\baspeed\b|matrox|standard vga|bochs|parsec virtual|citrix indirect|llvmpipe|swiftshader|softpipe/i;

/** Four lower-case hex digits from '0x10DE', '10de', 'VEN_10DE' or a number; undefined if not an id. */
export function normalizePciHex(value: string | number | undefined | null): string | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value > 0 && value <= 0xffff ? value.toString(16).padStart(4, '0') : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = /^(?:0x|ven_|dev_)?([0-9a-f]{1,4})$/i.exec(value.trim());
  return match?.[1] ? match[1].toLowerCase().padStart(4, '0') : undefined;
}

/** 'vendor:device' from two ids, or undefined when either is missing. */
export function pciId(vendorId: string | undefined, deviceId: string | undefined): string | undefined {
  return vendorId && deviceId ? `${vendorId}:${deviceId}` : undefined;
}

/** '0000:01:00.0' from '00000000:01:00.0' (nvidia-smi), '01:00.0' (lspci without -D) or the full form. */
export function normalizeBusId(value: string | undefined | null): string | undefined {
  if (!value) return undefined;
  const match = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(value.trim());
  if (!match) return undefined;
  const domain = (match[1] ?? '0000').slice(-4);
  return `${domain}:${match[2]}:${match[3]}.${match[4]}`.toLowerCase();
}

export function vendorFromPciId(vendorHex: string | undefined): GpuVendor | undefined {
  return vendorHex ? VENDOR_BY_PCI_ID[vendorHex] : undefined;
}

export function vendorFromName(name: string): GpuVendor {
  const words = name.toLowerCase().replace(/[^a-z0-9]+/g, ' ');
  if (/\b(nvidia|geforce|quadro|tesla)\b/.test(words)) return 'nvidia';
  if (/\b(amd|ati|radeon|advanced micro devices)\b/.test(words)) return 'amd';
  if (/\b(intel|iris)\b/.test(words)) return 'intel';
  if (/\bapple\b/.test(words)) return 'apple';
  return 'other';
}

export function vendorOf(vendorHex: string | undefined, name: string | null): GpuVendor {
  return vendorFromPciId(vendorHex) ?? (name ? vendorFromName(name) : 'other');
}

export function isNonGpuDisplay(vendorHex: string | undefined, name: string | null): boolean {
  return (vendorHex !== undefined && NON_GPU_DISPLAY_VENDORS.has(vendorHex)) || (name !== null && NON_GPU_NAME.test(name));
}

const VENDOR_LABEL: Record<GpuVendor, string> = {
  nvidia: 'NVIDIA',
  amd: 'AMD',
  intel: 'Intel',
  apple: 'Apple',
  other: 'Unknown',
};

export function vendorLabel(vendor: GpuVendor): string {
  return VENDOR_LABEL[vendor];
}

/** A name for a GPU known only by its ids, e.g. 'AMD GPU (PCI 1002:73df)'. */
export function placeholderGpuName(vendor: GpuVendor, id: string | undefined): string {
  return id ? `${vendorLabel(vendor)} GPU (PCI ${id})` : `${vendorLabel(vendor)} GPU`;
}
