import { deferred, fake, galleryItem, ioError, ok } from './fake-easel';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GalleryPage } from '../../../../src-preload/api';
import { noFilters, PAGE_SIZE, useGalleryStore } from '../../../../src-renderer/stores/gallery-store';

/** A gallery of `total` images named by their place in it; each request is answered with its slice. */
function serveGallery(total: number): void {
  fake.answer('gallery.list', ({ offset, limit }) => {
    const items = [];
    for (let index = offset; index < Math.min(total, offset + limit); index++) items.push(galleryItem(`${index}.png`));
    return ok({ total, items });
  });
}

async function settle(): Promise<void> {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setTimeout(resolve, 0));
}

beforeEach(async () => {
  // Clearing the filters also resets what the store keeps outside its state: pages in flight, the range shown.
  fake.reset();
  serveGallery(0);
  useGalleryStore.getState().clearFilters();
  await settle();
  useGalleryStore.setState(useGalleryStore.getInitialState(), true);
  fake.reset();
});

describe('the gallery store', () => {
  it('asks only for the filters that are set, with the query trimmed', async () => {
    serveGallery(3);
    useGalleryStore.getState().setFilters({ query: '  lighthouse ', modelId: 'sd15', favouritesOnly: true });
    await settle();
    expect(fake.requests('gallery.list')).toEqual([
      { offset: 0, limit: PAGE_SIZE, query: 'lighthouse', modelId: 'sd15', favourite: true },
    ]);
    expect(useGalleryStore.getState().total).toBe(3);
    useGalleryStore.getState().clearFilters();
    await settle();
    expect(fake.requests('gallery.list').at(-1)).toEqual({ offset: 0, limit: PAGE_SIZE });
    expect(useGalleryStore.getState().filters).toEqual(noFilters);
  });

  it('asks for images since the start of today for "today"', async () => {
    serveGallery(0);
    useGalleryStore.getState().setFilters({ date: 'today' });
    await settle();
    const since = new Date(fake.requests('gallery.list')[0]?.since ?? '');
    const now = new Date();
    expect([since.getFullYear(), since.getMonth(), since.getDate(), since.getHours(), since.getMinutes()]).toEqual([
      now.getFullYear(),
      now.getMonth(),
      now.getDate(),
      0,
      0,
    ]);
  });

  it('loads the pages the grid shows, and none past the end', async () => {
    serveGallery(150);
    await useGalleryStore.getState().refresh();
    useGalleryStore.getState().showRange(100, 400);
    await settle();
    expect(fake.requests('gallery.list').map((request) => request.offset)).toEqual([0, PAGE_SIZE]);
    expect(useGalleryStore.getState().itemAt(149)?.id).toBe('149.png');
    expect(useGalleryStore.getState().itemAt(150)).toBeUndefined();
  });

  it('drops an answer to filters that have changed since it was asked', async () => {
    const slow = deferred<GalleryPage>();
    fake.answer('gallery.list', async () => ok(await slow.promise));
    useGalleryStore.getState().setFilters({ query: 'old' });
    serveGallery(2);
    useGalleryStore.getState().setFilters({ query: 'new' });
    await settle();
    slow.resolve({ total: 99, items: [galleryItem('stale.png')] });
    await settle();
    expect(useGalleryStore.getState().total).toBe(2);
    expect(useGalleryStore.getState().itemAt(0)?.id).toBe('0.png');
  });

  it('keeps the viewer inside the gallery', async () => {
    serveGallery(3);
    await useGalleryStore.getState().refresh();
    useGalleryStore.getState().openViewer(1);
    useGalleryStore.getState().moveViewer(5);
    expect(useGalleryStore.getState().viewerIndex).toBe(2);
    useGalleryStore.getState().moveViewer(-9);
    expect(useGalleryStore.getState().viewerIndex).toBe(0);
  });

  it('stars an image in place', async () => {
    serveGallery(2);
    await useGalleryStore.getState().refresh();
    fake.answer('gallery.setFavourite', ({ id, favourite }) => ok(galleryItem(id, { favourite })));
    await useGalleryStore.getState().setFavourite(galleryItem('1.png'), true);
    expect(fake.requests('gallery.setFavourite')).toEqual([{ id: '1.png', favourite: true }]);
    expect(useGalleryStore.getState().itemAt(1)?.favourite).toBe(true);
    expect(useGalleryStore.getState().itemAt(0)?.favourite).toBe(false);
  });

  it('deletes an image with a way back, and reloads', async () => {
    serveGallery(2);
    await useGalleryStore.getState().refresh();
    fake.answer('gallery.delete', ({ id }) => ok({ id }));
    serveGallery(1);
    await useGalleryStore.getState().remove(galleryItem('1.png'));
    expect(useGalleryStore.getState()).toMatchObject({ total: 1, toast: { text: 'Image deleted.', undoId: '1.png' } });
    fake.answer('gallery.undoDelete', ({ id }) => ok(galleryItem(id)));
    serveGallery(2);
    await useGalleryStore.getState().undoDelete('1.png');
    expect(useGalleryStore.getState()).toMatchObject({ total: 2, toast: { text: 'Image restored.' } });
  });

  it('says why a delete failed and keeps the image', async () => {
    serveGallery(1);
    await useGalleryStore.getState().refresh();
    fake.fail('gallery.delete', ioError);
    await useGalleryStore.getState().remove(galleryItem('0.png'));
    expect(useGalleryStore.getState()).toMatchObject({ total: 1, toast: { text: ioError.message } });
  });

  it('shows why the gallery could not be read', async () => {
    fake.fail('gallery.list', ioError);
    useGalleryStore.getState().showRange(0, 10);
    await settle();
    expect(useGalleryStore.getState().loadError).toEqual(ioError);
  });
});
