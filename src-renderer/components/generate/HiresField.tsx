import { hiresTargetSide, MAX_HIRES_SCALE } from '../../../src-preload/api';
import { useGenerateStore } from '../../stores/generate-store';
import { SliderField } from './NumberField';

/** Hires fix: the picture is made at the size above, enlarged, and redrawn at the larger size. */
export function HiresField() {
  const form = useGenerateStore();
  const width = hiresTargetSide(form.width, form.hiresScale);
  const height = hiresTargetSide(form.height, form.hiresScale);
  const tooLarge = width > 2048 || height > 2048;
  return (
    <fieldset className="field hires-field">
      <legend>
        <label>
          <input
            type="checkbox"
            checked={form.hires}
            disabled={form.initImage !== null}
            onChange={(event) => form.update({ hires: event.target.checked })}
          />{' '}
          Hires fix
        </label>
      </legend>
      {form.initImage !== null ? (
        <p className="hint">Applies to new pictures, not to one made from a starting image.</p>
      ) : (
        form.hires && (
          <>
            <SliderField
              label="Upscale by"
              value={form.hiresScale}
              min={1.05}
              max={MAX_HIRES_SCALE}
              step={0.05}
              hint={tooLarge ? `${width}×${height} is past 2048 pixels: choose less.` : `Redrawn at ${width}×${height}.`}
              onChange={(hiresScale) => form.update({ hiresScale })}
            />
            <SliderField
              label="Hires strength"
              value={form.hiresStrength}
              min={0.01}
              max={1}
              step={0.01}
              hint="Low keeps the enlarged picture; high redraws more of it."
              onChange={(hiresStrength) => form.update({ hiresStrength })}
            />
          </>
        )
      )}
    </fieldset>
  );
}
