import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Gallery } from '../../src-main/core/gallery/gallery';
import { GalleryIndex } from '../../src-main/core/gallery/store';
import { imageMeta, syntheticRecords } from '../unit/gallery/fixtures';

export interface GalleryBenchResult {
  entries: number;
  buildIndexMs: number;
  listFirstPageMs: number;
  queryOneWordMs: number;
  queryThreeWordsMs: number;
  queryNoMatchMs: number;
  serializeMs: number;
  parseMs: number;
  indexBytes: number;
  saveMsPerImage: number;
  openWithIndexMs: number;
}

function time(runs: number, action: () => void): number {
  action();
  const start = performance.now();
  for (let i = 0; i < runs; i++) action();
  return (performance.now() - start) / runs;
}

/**
 * Times the gallery index over `entries` synthetic records (search, paging, (de)serialising) and real
 * saves of 512x512 images into a temp folder, then prints the figures.
 */
export async function benchGallery(entries = 10_000, saves = 10): Promise<GalleryBenchResult> {
  const records = syntheticRecords(entries);
  let index = new GalleryIndex();
  const buildStart = performance.now();
  for (const record of records) index.upsert(record);
  index.list({ limit: 1 });
  const buildIndexMs = performance.now() - buildStart;

  const listFirstPageMs = time(50, () => index.list({ limit: 100 }));
  const queryOneWordMs = time(50, () => index.list({ query: 'lighthouse', limit: 100 }));
  const queryThreeWordsMs = time(50, () => index.list({ query: 'WATERCOLOR fox snow', limit: 100 }));
  const queryNoMatchMs = time(50, () => index.list({ query: 'zebra', limit: 100 }));
  let json = '';
  const serializeMs = time(5, () => {
    json = index.serialize();
  });
  const parseMs = time(5, () => {
    index = GalleryIndex.parse(json)!;
  });

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'easel-gallery-bench-'));
  let saveMsPerImage: number;
  let openWithIndexMs: number;
  try {
    const gallery = await Gallery.open({ dir });
    const rgb = new Uint8Array(512 * 512 * 3).map((_, i) => (i * 13) & 0xff);
    const saveStart = performance.now();
    for (let i = 0; i < saves; i++) {
      await gallery.save(rgb, 512, 512, imageMeta({ width: 512, height: 512, seed: String(i) }));
    }
    saveMsPerImage = (performance.now() - saveStart) / saves;
    await gallery.close();
    const openStart = performance.now();
    await (await Gallery.open({ dir })).close();
    openWithIndexMs = performance.now() - openStart;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }

  const result: GalleryBenchResult = {
    entries,
    buildIndexMs,
    listFirstPageMs,
    queryOneWordMs,
    queryThreeWordsMs,
    queryNoMatchMs,
    serializeMs,
    parseMs,
    indexBytes: Buffer.byteLength(json),
    saveMsPerImage,
    openWithIndexMs,
  };
  console.log(`gallery bench (${entries} index entries, ${saves} saves of 512x512):`);
  for (const [key, value] of Object.entries(result)) {
    console.log(`  ${key.padEnd(18)} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(2) : value}`);
  }
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
  benchGallery().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
