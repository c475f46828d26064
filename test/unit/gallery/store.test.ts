import { beforeAll, describe, expect, it } from 'vitest';
import { GalleryIndex } from '../../../src-main/core/gallery/store';
import { syntheticRecords } from './fixtures';

const COUNT = 10_000;
let index: GalleryIndex;

beforeAll(() => {
  index = new GalleryIndex();
  for (const record of syntheticRecords(COUNT)) index.upsert(record);
});

/** How many synthetic records have subject `subject` and extra `extra` (see syntheticRecords). */
function countOf(subjectIndex: number, extraIndex: number): number {
  let n = 0;
  for (let i = 0; i < COUNT; i++) if (i % 10 === subjectIndex && Math.floor(i / 80) % 8 === extraIndex) n++;
  return n;
}

describe('GalleryIndex over 10,000 entries', () => {
  it('finds entries whose prompt holds all the words, in any case and order, newest first', () => {
    const expected = countOf(0, 1); // fox, in snow
    expect(expected).toBeGreaterThan(0);
    const result = index.list({ query: 'SNOW Fox', limit: 5 });
    expect(result.total).toBe(expected);
    expect(result.items).toHaveLength(5);
    for (const item of result.items) expect(item.meta.prompt.toLowerCase()).toMatch(/fox in snow/);
    const times = result.items.map((item) => Date.parse(item.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(index.list({ query: 'fox snow dragon' }).total).toBe(0);
  });

  it('pages through the whole list newest first', () => {
    const first = index.list({ limit: 3 });
    expect(first.total).toBe(COUNT);
    expect(first.items.map((item) => item.id)).toEqual(['synthetic_09999.png', 'synthetic_09998.png', 'synthetic_09997.png']);
    const tail = index.list({ offset: COUNT - 4, limit: 100 });
    expect(tail.items.map((item) => item.id)).toEqual([
      'synthetic_00003.png',
      'synthetic_00002.png',
      'synthetic_00001.png',
      'synthetic_00000.png',
    ]);
    expect(index.list({ offset: COUNT, limit: 10 })).toEqual({ total: COUNT, items: [] });
  });

  it('filters by model, favourite and time range together with a query', () => {
    expect(index.list({ modelId: 'sdxl-base' }).total).toBe(Math.ceil(COUNT / 3));
    expect(index.list({ favourite: true }).total).toBe(Math.floor((COUNT - 1) / 97) + 1);
    const firstHour = index.list({ since: '2026-01-01T00:00:00Z', until: '2026-01-01T00:59:59Z', limit: 100 });
    expect(firstHour.total).toBe(60);
    const combined = index.list({ query: 'cat', modelId: 'sdxl-base', until: '2026-01-01T00:59:59Z' });
    // cat is subject 4; model sdxl-base when i % 3 === 0; minutes 0..59.
    const expected = Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 10 === 4 && i % 3 === 0).length;
    expect(combined.total).toBe(expected);
  });

  it('keeps order and search up to date after upserts and removals', () => {
    const copy = GalleryIndex.parse(index.serialize())!;
    const newest = { ...copy.get('synthetic_00000.png')!, id: 'late.png', createdAt: '2027-01-01T00:00:00.000Z' };
    newest.meta = { ...newest.meta, prompt: 'unique zebra crossing' };
    copy.upsert(newest);
    expect(copy.list({ limit: 1 }).items[0]!.id).toBe('late.png');
    expect(copy.list({ query: 'zebra' }).total).toBe(1);
    expect(copy.remove('late.png')).toBe(true);
    expect(copy.list({ query: 'zebra' }).total).toBe(0);
    expect(copy.size).toBe(COUNT);
  });

  it('round-trips through its JSON form and refuses files it did not write', () => {
    const copy = GalleryIndex.parse(index.serialize());
    expect(copy).not.toBeNull();
    expect(copy!.list({ query: 'robot', limit: 50 })).toEqual(index.list({ query: 'robot', limit: 50 }));
    expect(GalleryIndex.parse('not json')).toBeNull();
    expect(GalleryIndex.parse('{"format":"something-else","version":1,"entries":[]}')).toBeNull();
    expect(GalleryIndex.parse('{"format":"easel-gallery-index","version":99,"entries":[]}')).toBeNull();
    const withJunk = GalleryIndex.parse('{"format":"easel-gallery-index","version":1,"entries":[{"id":3},null]}');
    expect(withJunk?.size).toBe(0);
  });
});
