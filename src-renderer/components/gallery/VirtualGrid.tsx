import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

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
  /** `tabbable`: this cell is the grid's one Tab stop (the others are reached with the arrow keys). */
  renderCell(index: number, tabbable: boolean): ReactNode;
  /** Which items are drawn now, [start, end), for loading their data. */
  onRangeChange(start: number, end: number): void;
}

/**
 * A grid that draws only the rows in view: ten thousand images cost as much as the forty on screen.
 * Cells sit absolutely in a spacer as tall as every row together. The grid is one Tab stop; the arrow
 * keys, Home, End, Page Up and Page Down move between cells (a roving tabindex), scrolling as they go.
 */
export function VirtualGrid({ itemCount, minCellWidth, gap, overscanRows = 2, resetKey, label, renderCell, onRangeChange }: VirtualGridProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ width: 0, height: 0 });
  const [scrollTop, setScrollTop] = useState(0);
  const [active, setActive] = useState(0);
  /** Set by a key press, so focus follows the active cell once it is drawn, and never steals it otherwise. */
  const focusPending = useRef(false);

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
    setActive(0);
  }, [resetKey]);

  const current = Math.min(active, Math.max(0, itemCount - 1));

  useEffect(() => {
    if (!focusPending.current) return;
    const cell = scroller.current?.querySelector<HTMLElement>(`[data-index="${current}"] button, [data-index="${current}"] [tabindex]`);
    if (cell) {
      focusPending.current = false;
      cell.focus({ preventScroll: true });
    }
  });

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

  const pageRows = Math.max(1, Math.floor(viewport.height / rowHeight));
  const moveTo = (index: number) => {
    const next = Math.min(itemCount - 1, Math.max(0, index));
    setActive(next);
    focusPending.current = true;
    const element = scroller.current;
    if (!element) return;
    const top = Math.floor(next / columns) * rowHeight;
    if (top < element.scrollTop) element.scrollTo({ top });
    else if (top + cell > element.scrollTop + element.clientHeight) element.scrollTo({ top: top + cell - element.clientHeight });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, number> = {
      ArrowRight: current + 1,
      ArrowLeft: current - 1,
      ArrowDown: current + columns,
      ArrowUp: current - columns,
      PageDown: current + columns * pageRows,
      PageUp: current - columns * pageRows,
      Home: 0,
      End: itemCount - 1,
    };
    const target = moves[event.key];
    if (target === undefined || itemCount === 0) return;
    event.preventDefault();
    moveTo(target);
  };

  const cells: ReactNode[] = [];
  for (let index = start; index < end; index++) {
    const row = Math.floor(index / columns);
    const column = index % columns;
    cells.push(
      <div
        key={index}
        data-index={index}
        role="listitem"
        aria-posinset={index + 1}
        aria-setsize={itemCount}
        className="grid-cell"
        style={{ top: row * rowHeight, left: column * (cell + gap), width: cell, height: cell }}
      >
        {renderCell(index, index === current)}
      </div>,
    );
  }

  return (
    <div ref={scroller} className="virtual-grid" onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}>
      <div
        role="list"
        aria-label={label}
        className="grid-spacer"
        style={{ height: Math.max(0, rows * rowHeight - gap) }}
        onKeyDown={onKeyDown}
        // A click on a cell makes it the Tab stop, so the arrow keys go on from there.
        onFocus={(event) => {
          const index = Number((event.target as HTMLElement).closest<HTMLElement>('[data-index]')?.dataset.index);
          if (Number.isInteger(index) && index !== current) setActive(index);
        }}
      >
        {cells}
      </div>
    </div>
  );
}
