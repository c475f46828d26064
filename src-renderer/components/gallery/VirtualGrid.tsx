import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

interface VirtualGridProps {
  itemCount: number;
  /** Cells are square and at least this wide; the columns share the rest. */
  minCellWidth: number;
  gap: number;
  /** Rows drawn beyond the visible ones, so a short scroll shows no gaps. */
  overscanRows?: number;
  /** Changing this scrolls back to the top (new filters). */
  resetKey: string;
  label: string;
  renderCell(index: number): ReactNode;
  /** Which items are drawn now, [start, end), for loading their data. */
  onRangeChange(start: number, end: number): void;
}

/**
 * A grid that draws only the rows in view: ten thousand images cost as much as the forty on screen.
 * Cells sit absolutely in a spacer as tall as every row together.
 */
export function VirtualGrid({ itemCount, minCellWidth, gap, overscanRows = 2, resetKey, label, renderCell, onRangeChange }: VirtualGridProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ width: 0, height: 0 });
  const [scrollTop, setScrollTop] = useState(0);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setViewport({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
    setScrollTop(0);
  }, [resetKey]);

  const columns = Math.max(1, Math.floor((viewport.width + gap) / (minCellWidth + gap)));
  const cell = viewport.width > 0 ? (viewport.width - gap * (columns - 1)) / columns : minCellWidth;
  const rowHeight = cell + gap;
  const rows = Math.ceil(itemCount / columns);
  const firstRow = Math.max(0, Math.floor(scrollTop / rowHeight) - overscanRows);
  const lastRow = Math.min(rows, Math.ceil((scrollTop + viewport.height) / rowHeight) + overscanRows);
  const start = firstRow * columns;
  const end = Math.min(itemCount, lastRow * columns);

  useEffect(() => {
    if (viewport.width > 0) onRangeChange(start, end);
  }, [start, end, viewport.width, onRangeChange]);

  const cells: ReactNode[] = [];
  for (let index = start; index < end; index++) {
    const row = Math.floor(index / columns);
    const column = index % columns;
    cells.push(
      <div
        key={index}
        role="listitem"
        aria-posinset={index + 1}
        aria-setsize={itemCount}
        className="grid-cell"
        style={{ top: row * rowHeight, left: column * (cell + gap), width: cell, height: cell }}
      >
        {renderCell(index)}
      </div>,
    );
  }

  return (
    <div ref={scroller} className="virtual-grid" onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}>
      <div role="list" aria-label={label} className="grid-spacer" style={{ height: Math.max(0, rows * rowHeight - gap) }}>
        {cells}
      </div>
    </div>
  );
}
