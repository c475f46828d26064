import { useCallback, useEffect, useState } from 'react';
import type { GalleryModel } from '../../src-preload/api';
import { easel } from '../bridge';
import { GalleryCell } from '../components/gallery/GalleryCell';
import { GalleryToolbar } from '../components/gallery/GalleryToolbar';
import { Toast } from '../components/gallery/Toast';
import { Viewer } from '../components/gallery/Viewer';
import { VirtualGrid } from '../components/gallery/VirtualGrid';
import { Icon } from '../components/Icon';
import { useAppStore } from '../stores/app-store';
import { followGalleryChanges, noFilters, useGalleryStore } from '../stores/gallery-store';
import { formatCount } from '../../src-shared/format';
import '../styles/gallery.css';

/** The models the gallery's images came from, removed ones included; refreshed as images come and go. */
function useModelsForFilter(): GalleryModel[] {
  const [models, setModels] = useState<GalleryModel[]>([]);
  const total = useGalleryStore((state) => state.total);
  useEffect(() => {
    void easel.gallery.models().then((result) => {
      if (result.ok) setModels(result.value);
    });
  }, [total]);
  return models;
}

function Empty() {
  const filters = useGalleryStore((state) => state.filters);
  const clearFilters = useGalleryStore((state) => state.clearFilters);
  const setScreen = useAppStore((state) => state.setScreen);
  const info = useAppStore((state) => state.info);
  const filtered = JSON.stringify(filters) !== JSON.stringify(noFilters);
  if (filtered) {
    return (
      <div className="empty-state">
        <Icon name="gallery" size={40} />
        <h2>{filters.query.trim() ? `No images match “${filters.query.trim()}”` : 'No images match these filters'}</h2>
        <p>Search looks for every word in the prompts. Try fewer words, or another model or date.</p>
        <button type="button" onClick={clearFilters}>
          Clear search and filters
        </button>
      </div>
    );
  }
  return (
    <div className="empty-state">
      <Icon name="gallery" size={40} />
      <h2>No images yet</h2>
      <p>Write a prompt on Generate: every image is saved here as a PNG with its settings.</p>
      <button type="button" className="primary" onClick={() => setScreen('generate')}>
        Go to Generate
      </button>
      {info && (
        <p className="gallery-folder">
          Gallery folder: <code>{info.paths.gallery}</code>
        </p>
      )}
    </div>
  );
}

export function GalleryScreen() {
  const total = useGalleryStore((state) => state.total);
  const pages = useGalleryStore((state) => state.pages);
  const filters = useGalleryStore((state) => state.filters);
  const loadError = useGalleryStore((state) => state.loadError);
  const viewerOpen = useGalleryStore((state) => state.viewerIndex !== null);
  const { showRange, refresh, openViewer, itemAt } = useGalleryStore.getState();
  const models = useModelsForFilter();

  useEffect(() => {
    void refresh();
    return followGalleryChanges();
  }, [refresh]);

  const renderCell = useCallback(
    (index: number, tabbable: boolean) => <GalleryCell item={itemAt(index)} tabbable={tabbable} onOpen={() => openViewer(index)} />,
    // itemAt reads the pages: a new page must redraw the cells.
    [pages, itemAt, openViewer],
  );

  return (
    <div className="gallery-screen">
      <header className="page-header">
        <h1>
          Gallery
          {total !== null && total > 0 && <span className="dim gallery-count">{formatCount(total, 'image')}</span>}
        </h1>
      </header>
      <GalleryToolbar models={models} />
      {loadError && (
        <div className="banner error" role="alert">
          <span>Could not read the gallery: {loadError.message}</span>
          <button type="button" className="link" onClick={() => void refresh()}>
            Try again
          </button>
        </div>
      )}
      {total === null ? (
        <div className="gallery-loading dim">Loading the gallery…</div>
      ) : total === 0 ? (
        <Empty />
      ) : (
        <VirtualGrid
          itemCount={total}
          minCellWidth={180}
          gap={10}
          resetKey={JSON.stringify(filters)}
          label="Images, newest first (arrow keys move, Enter opens, drag onto Generate to start from one)"
          renderCell={renderCell}
          onRangeChange={showRange}
        />
      )}
      {viewerOpen && <Viewer />}
      <Toast />
    </div>
  );
}
