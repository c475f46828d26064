import { isNonGpuDisplay, normalizeBusId, pciId, vendorLabel, vendorOf } from '../pci';
import type { GpuCandidate } from '../types';
import { unreadableOutput } from './errors';

export const LSPCI_ARGS = ['-D', '-mm', '-nn'] as const;

/** PCI class 03xx: VGA compatible (0300), XGA, 3D controller (0302), other display controller (0380). */
const DISPLAY_CLASS = /^03[0-9a-f]{2}$/i;

interface LspciField {
  text: string;
  id?: string;
}

/** `Navi 22 [Radeon RX 6700 XT] [73df]` -> text without the trailing id, and the id (from -nn). */
function splitId(field: string): LspciField {
  const match = /^(.*?)\s*\[([0-9a-f]{4})\]$/i.exec(field);
  return match?.[1] !== undefined && match[2] ? { text: match[1], id: match[2].toLowerCase() } : { text: field };
}

function quotedFields(line: string): { slot: string; fields: string[] } | null {
  const slot = /^(\S+)\s/.exec(line)?.[1];
  if (!slot) return null;
  const fields = [...line.slice(slot.length).matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
  return { slot, fields };
}

/**
 * pci.ids names carry the marketing name in brackets ("GA106 [GeForce RTX 3060 Lite Hash Rate]");
 * people know the card by that, with the vendor in front.
 */
function marketingName(vendorText: string, deviceText: string, vendor: ReturnType<typeof vendorOf>): string | null {
  const bracketed = /\[([^\]]+)\]\s*$/.exec(deviceText)?.[1];
  // lspci says just "Device" (plus the id) when its pci.ids file does not know the card yet.
  if (!bracketed && /^device\b/i.test(deviceText.trim())) return null;
  const base = bracketed ?? deviceText;
  const prefix = vendor === 'other' ? vendorText : vendorLabel(vendor);
  return base.toLowerCase().startsWith(prefix.toLowerCase()) ? base : `${prefix} ${base}`;
}

/** Reads `lspci -D -mm -nn` (also accepts output without -D or -nn). */
export function parseLspci(stdout: string): GpuCandidate[] {
  const lines = stdout.split(/\r?\n/).filter((line) => line.trim() !== '');
  const gpus: GpuCandidate[] = [];
  let readable = 0;
  for (const line of lines) {
    const parsed = quotedFields(line);
    if (!parsed || parsed.fields.length < 3) continue;
    const busId = normalizeBusId(parsed.slot);
    if (!busId) continue;
    readable += 1;
    const [classField, vendorField, deviceField] = parsed.fields.map(splitId) as [LspciField, LspciField, LspciField];
    const isDisplay = classField.id
      ? DISPLAY_CLASS.test(classField.id)
      : /VGA compatible controller|3D controller|Display controller/i.test(classField.text);
    if (!isDisplay) continue;
    const vendor = vendorOf(vendorField.id, `${vendorField.text} ${deviceField.text}`);
    const name = marketingName(vendorField.text, deviceField.text, vendor);
    if (isNonGpuDisplay(vendorField.id, `${vendorField.text} ${deviceField.text}`)) continue;
    const id = pciId(vendorField.id, deviceField.id);
    gpus.push({
      source: 'lspci',
      vendor,
      name,
      vramBytes: null,
      driver: null,
      unifiedMemory: false,
      busId,
      ...(id ? { pciId: id } : {}),
    });
  }
  if (readable === 0 && lines.length > 0) {
    throw unreadableOutput('lspci', 'expected lines like 0000:01:00.0 "class" "vendor" "device"', stdout);
  }
  return gpus;
}
