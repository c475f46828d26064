import type { GalleryItem, GalleryModel } from '../../../src-preload/api';
import { EaselError } from '../errors';

/**
 * The gallery's index in memory: one record per image file, searchable and ordered newest first, and its
 * JSON form on disk. It is a cache: every record can be rebuilt from its PNG alone.
 */

/** What the gallery knows about one image file. `id` is the file name, so it survives a rebuild. */
export interface IndexRecord extends GalleryItem {
  /** The file's size and modification time when it was read: a change means read it again. */
  size: number;
  mtimeMs: number;
}

export interface ListQuery {
  /** Words that must all occur in the prompt, in any case and order. */
  query?: string;
  modelId?: string;
  favourite?: boolean;
  /** ISO 8601 bounds on createdAt, inclusive. */
  since?: string;
  until?: string;
  offset?: number;
  limit?: number;
}

export const DEFAULT_LIST_LIMIT = 100;

const INDEX_FORMAT = 'easel-gallery-index';
const INDEX_VERSION = 1;

interface Searchable {
  record: IndexRecord;
  createdMs: number;
  promptLower: string;
}

function timeOf(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

function boundOf(name: 'since' | 'until', iso: string | undefined, fallback: number): number {
  if (iso === undefined) return fallback;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw new EaselError('invalid_request', `"${iso}" is not a date; give ${name} as an ISO 8601 date or time.`, {
      [name]: iso,
    });
  }
  return ms;
}

function isRecord(value: unknown): value is IndexRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const meta = r.meta as Record<string, unknown> | null | undefined;
  return (
    typeof r.id === 'string' &&
    typeof r.createdAt === 'string' &&
    typeof r.width === 'number' &&
    typeof r.height === 'number' &&
    typeof r.favourite === 'boolean' &&
    typeof r.source === 'string' &&
    typeof r.size === 'number' &&
    typeof r.mtimeMs === 'number' &&
    typeof meta === 'object' &&
    meta !== null &&
    typeof meta.prompt === 'string' &&
    typeof meta.modelId === 'string'
  );
}

export class GalleryIndex {
  private readonly byId = new Map<string, Searchable>();
  /** Newest first; rebuilt lazily after changes. */
  private ordered: Searchable[] | null = [];

  get size(): number {
    return this.byId.size;
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  get(id: string): IndexRecord | undefined {
    return this.byId.get(id)?.record;
  }

  upsert(record: IndexRecord): void {
    this.byId.set(record.id, {
      record,
      createdMs: timeOf(record.createdAt),
      promptLower: record.meta.prompt.toLowerCase(),
    });
    this.ordered = null;
  }

  /** Every model the indexed images were made with, most used first. */
  models(): GalleryModel[] {
    const byModel = new Map<string, GalleryModel>();
    for (const { record } of this.byId.values()) {
      const { modelId, modelName } = record.meta;
      if (!modelId) continue;
      const known = byModel.get(modelId);
      if (known) known.count++;
      else byModel.set(modelId, { modelId, modelName: modelName || modelId, count: 1 });
    }
    return [...byModel.values()].sort((a, b) => b.count - a.count || a.modelName.localeCompare(b.modelName));
  }

  remove(id: string): boolean {
    const removed = this.byId.delete(id);
    if (removed) this.ordered = null;
    return removed;
  }

  clear(): void {
    this.byId.clear();
    this.ordered = [];
  }

  private sorted(): Searchable[] {
    this.ordered ??= [...this.byId.values()].sort(
      (a, b) => b.createdMs - a.createdMs || (a.record.id < b.record.id ? 1 : a.record.id > b.record.id ? -1 : 0),
    );
    return this.ordered;
  }

  /** Matching records, newest first, with the total before paging. */
  list(query: ListQuery = {}): { total: number; items: IndexRecord[] } {
    const words = (query.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const since = boundOf('since', query.since, -Infinity);
    const until = boundOf('until', query.until, Infinity);
    const offset = Math.max(0, Math.floor(query.offset ?? 0));
    const limit = Math.max(0, Math.floor(query.limit ?? DEFAULT_LIST_LIMIT));
    const items: IndexRecord[] = [];
    let total = 0;
    for (const entry of this.sorted()) {
      const { record } = entry;
      if (query.modelId !== undefined && record.meta.modelId !== query.modelId) continue;
      if (query.favourite !== undefined && record.favourite !== query.favourite) continue;
      if (entry.createdMs < since || entry.createdMs > until) continue;
      if (!words.every((word) => entry.promptLower.includes(word))) continue;
      if (total >= offset && items.length < limit) items.push(record);
      total++;
    }
    return { total, items };
  }

  serialize(): string {
    const entries = this.sorted().map((entry) => entry.record);
    return JSON.stringify({ format: INDEX_FORMAT, version: INDEX_VERSION, entries });
  }

  /** The index in `text`, or null when it is not one this version wrote (then the gallery rebuilds it). */
  static parse(text: string): GalleryIndex | null {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return null;
    }
    const data = json as { format?: unknown; version?: unknown; entries?: unknown } | null;
    if (!data || data.format !== INDEX_FORMAT || data.version !== INDEX_VERSION || !Array.isArray(data.entries)) {
      return null;
    }
    const index = new GalleryIndex();
    for (const entry of data.entries) {
      if (isRecord(entry)) index.upsert(entry);
    }
    return index;
  }
}
