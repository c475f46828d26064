import { placeholderGpuName } from './pci';
import type { GpuCandidate, GpuInfo, GpuSource } from './types';

/**
 * How much each source is trusted for memory size and for the name and driver a person knows.
 * nvidia-smi asks the driver; the registry's qwMemorySize and amdgpu's sysfs file are exact; the
 * profiler rounds to whole GB; Win32's AdapterRAM is 32-bit; lspci names are chip names.
 */
const RANK: Record<GpuSource, { vram: number; name: number }> = {
  'nvidia-smi': { vram: 100, name: 100 },
  registry: { vram: 90, name: 90 },
  sysfs: { vram: 90, name: 0 },
  'system-profiler': { vram: 70, name: 90 },
  systeminformation: { vram: 50, name: 60 },
  'win32-video-controller': { vram: 40, name: 90 },
  lspci: { vram: 0, name: 50 },
  electron: { vram: 0, name: 40 },
};

interface MergedEntry {
  candidates: GpuCandidate[];
}

function first<K extends 'busId' | 'pciId'>(entry: MergedEntry, key: K): string | undefined {
  return entry.candidates.find((c) => c[key] !== undefined)?.[key];
}

function vendorOfEntry(entry: MergedEntry): GpuCandidate['vendor'] {
  return entry.candidates.find((c) => c.vendor !== 'other')?.vendor ?? 'other';
}

function normalizedName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\((r|tm)\)|®|™/g, ' ')
    .replace(/\b(nvidia|amd|ati|intel|apple|corporation)\b/g, ' ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function conflicts(entry: MergedEntry, candidate: GpuCandidate): boolean {
  const busId = first(entry, 'busId');
  const id = first(entry, 'pciId');
  const vendor = vendorOfEntry(entry);
  return (
    (busId !== undefined && candidate.busId !== undefined && busId !== candidate.busId) ||
    (id !== undefined && candidate.pciId !== undefined && id !== candidate.pciId) ||
    (vendor !== 'other' && candidate.vendor !== 'other' && vendor !== candidate.vendor)
  );
}

/** Same bus address, else same PCI id, else the same name once vendor words and marks are dropped. */
function sameDevice(entry: MergedEntry, candidate: GpuCandidate): boolean {
  if (conflicts(entry, candidate)) return false;
  const busId = first(entry, 'busId');
  if (busId !== undefined && candidate.busId !== undefined) return true;
  const id = first(entry, 'pciId');
  if (id !== undefined && candidate.pciId !== undefined) return true;
  if (candidate.name === null) return false;
  const name = normalizedName(candidate.name);
  return name !== '' && entry.candidates.some((c) => c.name !== null && normalizedName(c.name) === name);
}

/** The candidate with the highest rank that has a value for `pick`. */
function best(candidates: GpuCandidate[], rank: 'vram' | 'name', has: (c: GpuCandidate) => boolean): GpuCandidate | undefined {
  return [...candidates].sort((a, b) => RANK[b.source][rank] - RANK[a.source][rank]).find(has);
}

function toGpuInfo(entry: MergedEntry): GpuInfo {
  const { candidates } = entry;
  const vendor = vendorOfEntry(entry);
  const pciIdValue = first(entry, 'pciId');
  const busId = first(entry, 'busId');
  const vramFrom = best(candidates, 'vram', (c) => c.vramBytes !== null);
  const nameFrom = best(candidates, 'name', (c) => c.name !== null);
  // The sources that gave the memory size and the name lead; the others follow in discovery order.
  const contributors = [vramFrom, nameFrom, ...candidates].filter((c): c is GpuCandidate => c !== undefined);
  return {
    vendor,
    name: nameFrom?.name ?? placeholderGpuName(vendor, pciIdValue),
    vramBytes: vramFrom?.vramBytes ?? null,
    driver: best(candidates, 'name', (c) => c.driver !== null)?.driver ?? null,
    unifiedMemory: candidates.some((c) => c.unifiedMemory),
    source: [...new Set(contributors.map((c) => c.source))].join('+'),
    ...(pciIdValue ? { pciId: pciIdValue } : {}),
    ...(busId ? { busId } : {}),
  };
}

export interface MergeOptions {
  /**
   * Sources that may only add detail to a GPU another source found. Windows keeps the driver
   * settings of cards that were removed long ago, so the registry alone would list ghosts.
   */
  enrichOnly?: ReadonlySet<GpuSource>;
}

/**
 * Merges each source's list into one list of GPUs. Groups are applied in order, so put the sources
 * that know bus addresses and PCI ids first. Within one group each GPU matches at most one entry,
 * which keeps two identical cards apart.
 */
export function mergeGpuCandidates(groups: readonly (readonly GpuCandidate[])[], options: MergeOptions = {}): GpuInfo[] {
  const entries: MergedEntry[] = [];
  for (const group of groups) {
    const claimed = new Set<MergedEntry>();
    const unmatched: GpuCandidate[] = [];
    for (const candidate of group) {
      const entry = entries.find((e) => !claimed.has(e) && sameDevice(e, candidate));
      if (entry) {
        entry.candidates.push(candidate);
        claimed.add(entry);
      } else {
        unmatched.push(candidate);
      }
    }
    for (const candidate of unmatched) {
      // A source that knows neither the bus nor the name (Electron, sysfs) still describes the only
      // card of its vendor that no other GPU of this group has taken.
      const sameVendor = (c: { vendor: string }): boolean => candidate.vendor !== 'other' && c.vendor === candidate.vendor;
      const open = entries.filter((e) => !claimed.has(e) && sameVendor({ vendor: vendorOfEntry(e) }) && !conflicts(e, candidate));
      const rivals = unmatched.filter(sameVendor);
      const entry = open.length === 1 && rivals.length === 1 ? open[0] : undefined;
      if (entry) {
        entry.candidates.push(candidate);
        claimed.add(entry);
      } else if (!options.enrichOnly?.has(candidate.source)) {
        const created: MergedEntry = { candidates: [candidate] };
        entries.push(created);
        claimed.add(created);
      }
    }
  }
  return entries.map(toGpuInfo);
}
