import { create } from 'zustand';
import type { ErrorInfo, GalleryItem, GalleryListRequest } from '../../src-preload/api';
import { easel } from '../bridge';
import { fullImages, thumbnails } from '../components/gallery/images';

export type DateFilter = 'all' | 'today' | 'week';

export interface GalleryFilters {
  query: string;
  modelId: string;
  favouritesOnly: boolean;
  date: DateFilter;
}

export interface Toast {
  text: string;
  /** Set for a deletion that can still be undone. */
  undoId?: string;
}

interface GalleryState {
  filters: GalleryFilters;
  /** Matching images in all; null until the first page arrives. */
  total: number | null;
  /** Loaded pages of PAGE_SIZE items, by page number. */
  pages: Record<number, GalleryItem[]>;
  loadError: ErrorInfo | null;
  /** The index (in the filtered list) the viewer shows, or null when it is closed. */
  viewerIndex: number | null;
  toast: Toast | null;
  setFilters(patch: Partial<GalleryFilters>): void;
  clearFilters(): void;
  /** The grid shows rows [start, end): load the pages they need. */
  showRange(start: number, end: number): void;
  /** Reload what is on screen (images came or went). */
  refresh(): Promise<void>;
  itemAt(index: number): GalleryItem | undefined;
  openViewer(index: number): void;
  closeViewer(): void;
  moveViewer(delta: number): void;
  setFavourite(item: GalleryItem, favourite: boolean): Promise<void>;
  remove(item: GalleryItem): Promise<void>;
  undoDelete(id: string): Promise<void>;
  showToast(toast: Toast | null): void;
}

export const PAGE_SIZE = 120;
export const noFilters: GalleryFilters = { query: '', modelId: '', favouritesOnly: false, date: 'all' };

/** Bumped whenever the filters change, so answers to an older question are dropped. */
let generation = 0;
const loading = new Set<number>();
let visible: [number, number] = [0, PAGE_SIZE];

function startOfDate(filter: DateFilter, now = new Date()): string | undefined {
  if (filter === 'all') return undefined;
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  // A week starts on Monday.
  if (filter === 'week') start.setDate(start.getDate() - ((start.getDay() + 6) % 7));
  return start.toISOString();
}

function requestOf(filters: GalleryFilters, page: number): GalleryListRequest {
  const since = startOfDate(filters.date);
  const query = filters.query.trim();
  return {
    offset: page * PAGE_SIZE,
    limit: PAGE_SIZE,
    ...(query ? { query } : {}),
    ...(filters.modelId ? { modelId: filters.modelId } : {}),
    ...(filters.favouritesOnly ? { favourite: true } : {}),
    ...(since ? { since } : {}),
  };
}

function pagesFor(start: number, end: number): number[] {
  const first = Math.floor(Math.max(0, start) / PAGE_SIZE);
  const last = Math.floor(Math.max(0, end - 1) / PAGE_SIZE);
  const pages: number[] = [];
  for (let page = first; page <= last; page++) pages.push(page);
  return pages;
}

export const useGalleryStore = create<GalleryState>((set, get) => {
  const fetchPage = async (page: number) => {
    const asked = generation;
    const result = await easel.gallery.list(requestOf(get().filters, page));
    if (asked !== generation) return null;
    if (!result.ok) {
      set({ loadError: result.error });
      return null;
    }
    return result.value;
  };

  const loadPage = async (page: number) => {
    if (loading.has(page)) return;
    loading.add(page);
    try {
      const answer = await fetchPage(page);
      if (answer) set({ total: answer.total, pages: { ...get().pages, [page]: answer.items }, loadError: null });
    } finally {
      loading.delete(page);
    }
  };

  const reset = () => {
    generation++;
    loading.clear();
    visible = [0, PAGE_SIZE];
    set({ total: null, pages: {}, viewerIndex: null });
    void get().refresh();
  };

  return {
    filters: noFilters,
    total: null,
    pages: {},
    loadError: null,
    viewerIndex: null,
    toast: null,

    setFilters: (patch) => {
      set({ filters: { ...get().filters, ...patch } });
      reset();
    },
    clearFilters: () => {
      set({ filters: noFilters });
      reset();
    },

    showRange: (start, end) => {
      visible = [start, end];
      const { pages, total } = get();
      for (const page of pagesFor(start, end)) {
        if (total !== null && page * PAGE_SIZE >= total) break;
        if (!pages[page]) void loadPage(page);
      }
    },

    refresh: async () => {
      const asked = generation;
      const wanted = pagesFor(visible[0], visible[1]);
      const viewerPage = get().viewerIndex === null ? null : Math.floor((get().viewerIndex ?? 0) / PAGE_SIZE);
      if (viewerPage !== null && !wanted.includes(viewerPage)) wanted.push(viewerPage);
      const answers = await Promise.all(wanted.map((page) => fetchPage(page)));
      if (asked !== generation) return;
      // Offsets shift when images come or go, so every page kept from before is stale: keep only fresh ones.
      const pages: Record<number, GalleryItem[]> = {};
      let total = get().total;
      answers.forEach((answer, index) => {
        const page = wanted[index];
        if (!answer || page === undefined) return;
        pages[page] = answer.items;
        total = answer.total;
      });
      if (total === null) return;
      const viewerIndex = get().viewerIndex;
      set({
        pages,
        total,
        viewerIndex: viewerIndex === null || total === 0 ? null : Math.min(viewerIndex, total - 1),
      });
    },

    itemAt: (index) => get().pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE],

    openViewer: (index) => set({ viewerIndex: index }),
    closeViewer: () => set({ viewerIndex: null }),
    moveViewer: (delta) => {
      const { viewerIndex, total } = get();
      if (viewerIndex === null || total === null) return;
      const next = Math.min(total - 1, Math.max(0, viewerIndex + delta));
      set({ viewerIndex: next });
      const page = Math.floor(next / PAGE_SIZE);
      if (!get().pages[page]) void loadPage(page);
    },

    setFavourite: async (item, favourite) => {
      const result = await easel.gallery.setFavourite({ id: item.id, favourite });
      if (!result.ok) return set({ toast: { text: result.error.message } });
      const pages = { ...get().pages };
      for (const [page, items] of Object.entries(pages)) {
        if (items.some((known) => known.id === item.id)) {
          pages[Number(page)] = items.map((known) => (known.id === item.id ? result.value : known));
        }
      }
      set({ pages });
      // Unstarring while only favourites show drops the image from the list.
      if (get().filters.favouritesOnly && !favourite) void get().refresh();
    },

    remove: async (item) => {
      const result = await easel.gallery.delete({ id: item.id });
      if (!result.ok) return set({ toast: { text: result.error.message } });
      thumbnails.forget(item.id);
      fullImages.forget(item.id);
      set({ toast: { text: 'Image deleted.', undoId: item.id } });
      await get().refresh();
    },

    undoDelete: async (id) => {
      const result = await easel.gallery.undoDelete({ id });
      if (!result.ok) return set({ toast: { text: `Could not restore the image: ${result.error.message}` } });
      set({ toast: { text: 'Image restored.' } });
      await get().refresh();
    },

    showToast: (toast) => set({ toast }),
  };
});

/** A burst of changes (a batch saving, a folder synced in) becomes one reload after this pause. */
const CHANGE_SETTLE_MS = 100;

/** Images made or removed anywhere (a job, the file manager, another window) appear here at once. */
export function followGalleryChanges(): () => void {
  let timer: number | undefined;
  const unsubscribe = easel.subscribe('gallery.changed', ({ removed }) => {
    for (const id of removed) {
      thumbnails.forget(id);
      fullImages.forget(id);
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void useGalleryStore.getState().refresh(), CHANGE_SETTLE_MS);
  });
  return () => {
    window.clearTimeout(timer);
    unsubscribe();
  };
}
