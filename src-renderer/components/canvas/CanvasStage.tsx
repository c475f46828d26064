import { useCallback, useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type MutableRefObject, type PointerEvent } from 'react';
import type { Outpaint } from '../../../src-preload/api';
import { useCanvasStore, type CanvasImage, type CanvasTool } from '../../stores/canvas-store';
import { Icon } from '../Icon';
import { MaskLayer, type Stamp } from './mask-layer';
import { shortcutTarget } from './shortcuts';

/** Where the picture sits in the stage: screen pixels per picture pixel, and its top-left corner. */
interface View {
  zoom: number;
  x: number;
  y: number;
}

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 32;
/** Room left around the fitted picture for the outpaint handles. */
const FIT_MARGIN = 76;
/** A tiny picture is fitted no larger than this, so its pixels stay countable. */
const MAX_FIT_ZOOM = 8;

type Gesture =
  | { kind: 'paint' }
  | { kind: 'pan'; startX: number; startY: number; view: View }
  | { kind: 'pinch'; distance: number; midX: number; midY: number; view: View };

const sides: Array<{ side: keyof Outpaint; label: string; icon: 'left' | 'right' | 'up' | 'down' }> = [
  { side: 'left', label: 'left', icon: 'left' },
  { side: 'right', label: 'right', icon: 'right' },
  { side: 'top', label: 'at the top', icon: 'up' },
  { side: 'bottom', label: 'at the bottom', icon: 'down' },
];

const toolLabels: Record<CanvasTool, { label: string; key: string }> = {
  brush: { label: 'Brush', key: 'B' },
  eraser: { label: 'Eraser', key: 'E' },
  hand: { label: 'Move the view', key: 'H' },
};

/** The last picture's mask, kept while another screen is shown (watching an edit's progress on Generate). */
let keptMask: { url: string; mask: ImageData } | null = null;

function clampZoom(zoom: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
}

/** Zooms to `zoom`, keeping the stage point (px, py) over the same picture pixel. */
function zoomAround(view: View, zoom: number, px: number, py: number): View {
  const next = clampZoom(zoom);
  return { zoom: next, x: px - ((px - view.x) * next) / view.zoom, y: py - ((py - view.y) * next) / view.zoom };
}

interface CanvasStageProps {
  image: CanvasImage;
  /** The mask, for whoever submits the edit. */
  layerRef: MutableRefObject<MaskLayer | null>;
}

/** The picture with its mask over it: paint, erase, zoom and pan with mouse, pen or fingers; outpaint handles on its edges. */
export function CanvasStage({ image, layerRef }: CanvasStageProps) {
  const canvas = useCanvasStore();
  const { outpaint } = canvas;
  const stageRef = useRef<HTMLDivElement>(null);
  const maskRef = useRef<HTMLCanvasElement>(null);
  const [stageSize, setStageSize] = useState({ width: 0, height: 0 });
  const [view, setView] = useState<View>({ zoom: 1, x: 0, y: 0 });
  const [, setMaskVersion] = useState(0);
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const gesture = useRef<Gesture | null>(null);
  const spaceHeld = useRef(false);
  const totalWidth = image.width + outpaint.left + outpaint.right;
  const totalHeight = image.height + outpaint.top + outpaint.bottom;

  useEffect(() => {
    if (!maskRef.current) return;
    const layer = new MaskLayer(maskRef.current, () => setMaskVersion((version) => version + 1));
    if (keptMask?.url === image.url) layer.restore(keptMask.mask);
    layerRef.current = layer;
    return () => {
      keptMask = { url: image.url, mask: layer.save() };
      layerRef.current = null;
    };
  }, [layerRef, image.url]);

  useLayoutEffect(() => {
    const stage = stageRef.current;
    if (!stage) return;
    const observer = new ResizeObserver(() => setStageSize({ width: stage.clientWidth, height: stage.clientHeight }));
    observer.observe(stage);
    return () => observer.disconnect();
  }, []);

  const fit = useCallback(() => {
    if (stageSize.width === 0) return;
    const zoom = clampZoom(
      Math.min((stageSize.width - 2 * FIT_MARGIN) / totalWidth, (stageSize.height - 2 * FIT_MARGIN) / totalHeight, MAX_FIT_ZOOM),
    );
    setView({ zoom, x: (stageSize.width - totalWidth * zoom) / 2, y: (stageSize.height - totalHeight * zoom) / 2 });
  }, [stageSize, totalWidth, totalHeight]);

  // A new size of stage or picture (an outpaint added) shows the whole of it again.
  useLayoutEffect(fit, [fit]);

  const zoomBy = useCallback(
    (factor: number) => setView((current) => zoomAround(current, current.zoom * factor, stageSize.width / 2, stageSize.height / 2)),
    [stageSize],
  );

  // The wheel zooms around the pointer; React's wheel listener is passive, so this one is added by hand.
  useEffect(() => {
    const stage = stageRef.current;
    if (!stage) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = stage.getBoundingClientRect();
      setView((current) => zoomAround(current, current.zoom * Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top));
    };
    stage.addEventListener('wheel', onWheel, { passive: false });
    return () => stage.removeEventListener('wheel', onWheel);
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const onButton = event.target instanceof Element && event.target.closest('button, a') !== null;
      if (event.key === ' ' && shortcutTarget(event) && !onButton) {
        spaceHeld.current = event.type === 'keydown';
        event.preventDefault();
        return;
      }
      if (event.type !== 'keydown' || !shortcutTarget(event)) return;
      const layer = layerRef.current;
      const store = useCanvasStore.getState();
      const command = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (command && key === 'z') {
        if (event.shiftKey) layer?.redo();
        else layer?.undo();
      } else if (command && key === 'y') layer?.redo();
      else if (command || event.altKey) return;
      else if (key === 'b') store.update({ tool: 'brush' });
      else if (key === 'e') store.update({ tool: 'eraser' });
      else if (key === 'h') store.update({ tool: 'hand' });
      else if (key === 'i') layer?.invert();
      else if (key === 'delete' || key === 'backspace') layer?.clear();
      else if (key === '[') store.update({ brushSize: Math.max(1, Math.round(store.brushSize / 1.2)) });
      else if (key === ']') store.update({ brushSize: Math.min(512, Math.round(store.brushSize * 1.2) + 1) });
      else if (key === '+' || key === '=') zoomBy(1.25);
      else if (key === '-') zoomBy(1 / 1.25);
      else if (key === '0') fit();
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('keyup', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keyup', onKey);
    };
  }, [layerRef, zoomBy, fit]);

  const stampOf = (event: { clientX: number; clientY: number; pointerType: string; pressure: number }): Stamp | null => {
    const mask = maskRef.current;
    if (!mask) return null;
    const rect = mask.getBoundingClientRect();
    // A pen's pressure thins the stroke; a mouse reports 0.5 while pressed, which is ignored.
    const pressure = event.pointerType === 'pen' && event.pressure > 0 ? Math.max(0.1, event.pressure) : 1;
    return {
      x: ((event.clientX - rect.left) * image.width) / rect.width,
      y: ((event.clientY - rect.top) * image.height) / rect.height,
      size: canvas.brushSize * pressure,
    };
  };

  const stagePoint = (event: { clientX: number; clientY: number }) => {
    const rect = stageRef.current!.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (event.target instanceof Element && event.target.closest('button')) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    pointers.current.set(event.pointerId, stagePoint(event));
    if (pointers.current.size === 2) {
      // A second finger turns a stroke into a pinch: the stroke's start is taken back.
      if (gesture.current?.kind === 'paint') layerRef.current?.abandonStroke();
      const [a, b] = [...pointers.current.values()] as [{ x: number; y: number }, { x: number; y: number }];
      gesture.current = { kind: 'pinch', distance: Math.hypot(a.x - b.x, a.y - b.y), midX: (a.x + b.x) / 2, midY: (a.y + b.y) / 2, view };
      return;
    }
    if (pointers.current.size > 2) return;
    const point = stagePoint(event);
    if (canvas.tool === 'hand' || spaceHeld.current || event.button === 1) {
      gesture.current = { kind: 'pan', startX: point.x, startY: point.y, view };
      return;
    }
    if (event.button !== 0) return;
    const stamp = stampOf(event);
    if (!stamp || !layerRef.current) return;
    gesture.current = { kind: 'paint' };
    layerRef.current.begin(stamp, canvas.tool === 'eraser', canvas.hardness);
  };

  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    const point = stagePoint(event);
    setCursor(event.pointerType === 'touch' ? null : point);
    if (!pointers.current.has(event.pointerId)) return;
    pointers.current.set(event.pointerId, point);
    const current = gesture.current;
    if (current?.kind === 'pan') {
      setView({ ...current.view, x: current.view.x + point.x - current.startX, y: current.view.y + point.y - current.startY });
    } else if (current?.kind === 'pinch' && pointers.current.size >= 2) {
      const [a, b] = [...pointers.current.values()] as [{ x: number; y: number }, { x: number; y: number }];
      const midX = (a.x + b.x) / 2;
      const midY = (a.y + b.y) / 2;
      const zoomed = zoomAround(current.view, (current.view.zoom * Math.hypot(a.x - b.x, a.y - b.y)) / Math.max(1, current.distance), current.midX, current.midY);
      setView({ ...zoomed, x: zoomed.x + midX - current.midX, y: zoomed.y + midY - current.midY });
    } else if (current?.kind === 'paint') {
      // A fast pen sends several positions per frame; each becomes part of the stroke.
      const events = event.nativeEvent.getCoalescedEvents?.() ?? [];
      for (const each of events.length > 0 ? events : [event.nativeEvent]) {
        const stamp = stampOf(each);
        if (stamp) layerRef.current?.to(stamp, canvas.tool === 'eraser', canvas.hardness);
      }
    }
  };

  const onPointerEnd = (event: PointerEvent<HTMLDivElement>) => {
    pointers.current.delete(event.pointerId);
    if (gesture.current?.kind === 'paint') layerRef.current?.end();
    if (pointers.current.size === 0) gesture.current = null;
    if (event.pointerType === 'touch') setCursor(null);
  };

  const layer = layerRef.current;
  const sheetStyle: CSSProperties = {
    width: totalWidth,
    height: totalHeight,
    transform: `translate(${view.x}px, ${view.y}px) scale(${view.zoom})`,
  };
  const pictureStyle: CSSProperties = { left: outpaint.left, top: outpaint.top, width: image.width, height: image.height };
  const sheetRight = view.x + totalWidth * view.zoom;
  const sheetBottom = view.y + totalHeight * view.zoom;
  const middleX = (view.x + sheetRight) / 2;
  const middleY = (view.y + sheetBottom) / 2;
  const handlePosition: Record<keyof Outpaint, CSSProperties> = {
    left: { left: view.x - 8, top: middleY, transform: 'translate(-100%, -50%)' },
    right: { left: sheetRight + 8, top: middleY, transform: 'translate(0, -50%)' },
    top: { left: middleX, top: view.y - 8, transform: 'translate(-50%, -100%)' },
    bottom: { left: middleX, top: sheetBottom + 8, transform: 'translate(-50%, 0)' },
  };

  const painting = canvas.tool !== 'hand';
  return (
    <div className="canvas-area">
      <div className="canvas-toolbar" role="toolbar" aria-label="Canvas tools">
        <div className="tool-group">
          {(Object.keys(toolLabels) as CanvasTool[]).map((tool) => (
            <button
              key={tool}
              type="button"
              aria-pressed={canvas.tool === tool}
              className={canvas.tool === tool ? 'toggled' : ''}
              title={`${toolLabels[tool].label} (${toolLabels[tool].key})`}
              onClick={() => canvas.update({ tool })}
            >
              <Icon name={tool} size={16} /> {tool === 'hand' ? 'Move' : toolLabels[tool].label}
            </button>
          ))}
        </div>
        <div className="tool-group">
          <button type="button" className="icon-button" aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!layer?.canUndo} onClick={() => layer?.undo()}>
            <Icon name="undo" size={16} />
          </button>
          <button type="button" className="icon-button" aria-label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!layer?.canRedo} onClick={() => layer?.redo()}>
            <Icon name="redo" size={16} />
          </button>
          <button type="button" title="Invert the mask (I)" onClick={() => layer?.invert()}>
            Invert
          </button>
          <button type="button" title="Clear the mask (Delete)" onClick={() => layer?.clear()}>
            Clear
          </button>
        </div>
        <div className="tool-group zoom-group">
          <button type="button" className="icon-button" aria-label="Zoom out" title="Zoom out (−)" onClick={() => zoomBy(1 / 1.25)}>
            <Icon name="minus" size={16} />
          </button>
          <output className="zoom-level" aria-label="Zoom">
            {Math.round(view.zoom * 100)}%
          </output>
          <button type="button" className="icon-button" aria-label="Zoom in" title="Zoom in (+)" onClick={() => zoomBy(1.25)}>
            <Icon name="plus" size={16} />
          </button>
          <button type="button" title="Fit the picture in view (0)" onClick={fit}>
            Fit
          </button>
        </div>
      </div>
      <div
        ref={stageRef}
        className={`canvas-stage ${painting ? 'painting' : 'moving'}`}
        aria-label="Picture and mask: paint over what should change"
        role="application"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerEnd}
        onPointerCancel={onPointerEnd}
        onPointerLeave={() => setCursor(null)}
      >
        <div className={view.zoom >= 2 ? 'canvas-sheet pixelated' : 'canvas-sheet'} style={sheetStyle}>
          {totalWidth > image.width || totalHeight > image.height ? <div className="outpaint-area" /> : null}
          <img className="canvas-picture" src={image.url} alt={image.prompt ? `The picture: ${image.prompt}` : 'The picture'} style={pictureStyle} draggable={false} />
          <canvas
            ref={maskRef}
            className="canvas-mask"
            data-testid="mask"
            width={image.width}
            height={image.height}
            style={{ ...pictureStyle, opacity: canvas.maskOpacity }}
          />
        </div>
        {sides.map(({ side, label, icon }) => (
          <button
            key={side}
            type="button"
            className="outpaint-handle"
            style={handlePosition[side]}
            aria-label={`Extend ${label} by ${canvas.extendBy} pixels`}
            title={`Extend ${label} by ${canvas.extendBy} px${outpaint[side] > 0 ? ` (now ${outpaint[side]} px)` : ''}`}
            onClick={() => canvas.extend(side)}
          >
            <Icon name={icon} size={14} />
            +{canvas.extendBy}
          </button>
        ))}
        {cursor && painting && (
          <div
            className="brush-cursor"
            aria-hidden="true"
            style={{ left: cursor.x, top: cursor.y, width: canvas.brushSize * view.zoom, height: canvas.brushSize * view.zoom }}
          />
        )}
      </div>
    </div>
  );
}
