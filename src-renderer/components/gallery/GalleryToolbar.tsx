import { useEffect, useState } from 'react';
import type { GalleryModel } from '../../../src-preload/api';
import { useGalleryStore, type DateFilter } from '../../stores/gallery-store';
import { Icon } from '../Icon';

const dates: Array<{ value: DateFilter; label: string }> = [
  { value: 'all', label: 'All time' },
  { value: 'week', label: 'This week' },
  { value: 'today', label: 'Today' },
];

/** Search and filters; the search applies a moment after typing stops. */
export function GalleryToolbar({ models }: { models: GalleryModel[] }) {
  const filters = useGalleryStore((state) => state.filters);
  const setFilters = useGalleryStore((state) => state.setFilters);
  const [query, setQuery] = useState(filters.query);

  useEffect(() => setQuery(filters.query), [filters.query]);
  useEffect(() => {
    if (query === useGalleryStore.getState().filters.query) return;
    const timer = window.setTimeout(() => setFilters({ query }), 250);
    return () => window.clearTimeout(timer);
  }, [query, setFilters]);

  return (
    <div className="gallery-toolbar" role="search">
      <label className="search-box">
        <Icon name="search" size={16} />
        <input
          type="search"
          aria-label="Search prompts"
          placeholder="Search prompts"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') setFilters({ query });
          }}
        />
      </label>
      <select aria-label="Model" value={filters.modelId} onChange={(event) => setFilters({ modelId: event.target.value })}>
        <option value="">All models</option>
        {models.map((model) => (
          <option key={model.modelId} value={model.modelId}>
            {model.modelName} ({model.count})
          </option>
        ))}
      </select>
      <select aria-label="Date" value={filters.date} onChange={(event) => setFilters({ date: event.target.value as DateFilter })}>
        {dates.map((date) => (
          <option key={date.value} value={date.value}>
            {date.label}
          </option>
        ))}
      </select>
      <button
        type="button"
        className={filters.favouritesOnly ? 'toggle toggled' : 'toggle'}
        aria-pressed={filters.favouritesOnly}
        onClick={() => setFilters({ favouritesOnly: !filters.favouritesOnly })}
      >
        <Icon name="star" size={16} filled={filters.favouritesOnly} />
        Favourites
      </button>
    </div>
  );
}
