import { useEffect, useState, type InputHTMLAttributes } from 'react';

interface NumberInputProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'type'> {
  value: number;
  min: number;
  max: number;
  /** Turns what was typed into an allowed value (rounding, snapping). */
  normalise?: (value: number) => number;
  onCommit(value: number): void;
}

/**
 * A number box that lets a person type freely and applies the value, clamped into range, on Enter or
 * when focus leaves; the arrows and wheel apply at once.
 */
export function NumberInput({ value, min, max, normalise = (n) => n, onCommit, ...rest }: NumberInputProps) {
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);

  const commit = (text: string) => {
    const parsed = Number(text);
    if (text.trim() === '' || !Number.isFinite(parsed)) return setDraft(String(value));
    const next = Math.min(max, Math.max(min, normalise(parsed)));
    setDraft(String(next));
    if (next !== value) onCommit(next);
  };

  return (
    <input
      {...rest}
      type="number"
      inputMode="decimal"
      min={min}
      max={max}
      value={draft}
      onChange={(event) => {
        setDraft(event.target.value);
        // Spinner clicks and arrow keys arrive as changes without typing: apply those straight away.
        const native = event.nativeEvent as InputEvent;
        if (!native.inputType) commit(event.target.value);
      }}
      onBlur={(event) => commit(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter' && !event.ctrlKey && !event.metaKey) {
          event.preventDefault();
          commit(event.currentTarget.value);
        }
      }}
    />
  );
}

interface SliderFieldProps {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  /** The slider's range when it is narrower than what may be typed (e.g. steps: slider to 60, box to 200). */
  sliderMax?: number;
  hint?: string;
  onChange(value: number): void;
}

/** A labelled slider with a number box beside it, both editing one value. */
export function SliderField({ label, value, min, max, step, sliderMax = max, hint, onChange }: SliderFieldProps) {
  const decimals = step < 1 ? String(step).split('.')[1]?.length ?? 1 : 0;
  const round = (n: number) => Number(n.toFixed(decimals));
  const id = `field-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <div className="field slider-field">
      <label htmlFor={id}>{label}</label>
      <div className="slider-row">
        <input
          type="range"
          aria-label={`${label} slider`}
          min={min}
          max={Math.max(sliderMax, value)}
          step={step}
          value={value}
          onChange={(event) => onChange(round(Number(event.target.value)))}
        />
        <NumberInput id={id} className="number" value={value} min={min} max={max} step={step} normalise={round} onCommit={onChange} />
      </div>
      {hint && <p className="field-hint">{hint}</p>}
    </div>
  );
}
