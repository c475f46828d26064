import { MAX_SIDE, MIN_SIDE, normaliseSide } from '../../stores/generate-store';
import { NumberInput } from './NumberField';

const aspects = [
  { label: '1:1', x: 1, y: 1 },
  { label: '3:2', x: 3, y: 2 },
  { label: '2:3', x: 2, y: 3 },
  { label: '16:9', x: 16, y: 9 },
  { label: '9:16', x: 9, y: 16 },
] as const;

/** Big models take sizes in steps of 64; small ones (the built-in demo is 64×64) in steps of 8. */
export function sizeStep(native: { width: number; height: number }): number {
  return Math.min(native.width, native.height) >= 512 ? 64 : 8;
}

/**
 * A size with this aspect and about the model's native pixel count, snapped to the model's step. When
 * that would make a side smaller than the smallest allowed, the short side stays at the native size
 * and the long side grows instead.
 */
export function sizeFor(native: { width: number; height: number }, x: number, y: number): { width: number; height: number } {
  const step = sizeStep(native);
  const snap = (side: number) => Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round(side / step) * step));
  const area = native.width * native.height;
  const width = Math.sqrt((area * x) / y);
  const height = area / width;
  if (Math.min(width, height) >= MIN_SIDE) return { width: snap(width), height: snap(height) };
  const short = Math.max(MIN_SIDE, Math.min(native.width, native.height));
  return x >= y ? { width: snap((short * x) / y), height: snap(short) } : { width: snap(short), height: snap((short * y) / x) };
}

interface SizeFieldProps {
  width: number;
  height: number;
  native: { width: number; height: number };
  onChange(size: { width?: number; height?: number }): void;
}

export function SizeField({ width, height, native, onChange }: SizeFieldProps) {
  return (
    <fieldset className="field size-field">
      <legend>Size</legend>
      <div className="aspects" role="group" aria-label="Aspect ratio">
        {aspects.map((aspect) => {
          const size = sizeFor(native, aspect.x, aspect.y);
          const active = size.width === width && size.height === height;
          return (
            <button
              key={aspect.label}
              type="button"
              className={active ? 'chip active' : 'chip'}
              aria-pressed={active}
              title={`${size.width} × ${size.height}`}
              onClick={() => onChange(size)}
            >
              {aspect.label}
            </button>
          );
        })}
      </div>
      <div className="size-inputs">
        <div>
          <label htmlFor="field-width">Width</label>
          <NumberInput id="field-width" value={width} min={MIN_SIDE} max={MAX_SIDE} step={sizeStep(native)} normalise={normaliseSide} onCommit={(w) => onChange({ width: w })} />
        </div>
        <span className="times" aria-hidden="true">
          ×
        </span>
        <div>
          <label htmlFor="field-height">Height</label>
          <NumberInput id="field-height" value={height} min={MIN_SIDE} max={MAX_SIDE} step={sizeStep(native)} normalise={normaliseSide} onCommit={(h) => onChange({ height: h })} />
        </div>
      </div>
    </fieldset>
  );
}
