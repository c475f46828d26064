import { inpaintAreas, maskFills, type InpaintArea, type MaskFill, type Outpaint } from '../../../src-preload/api';
import { noOutpaint, useCanvasStore } from '../../stores/canvas-store';
import { useGenerateStore } from '../../stores/generate-store';
import { NumberInput, SliderField } from '../generate/NumberField';
import { UpscalerSelect } from '../UpscalerSelect';
import { canvasShortcuts, EDIT_SHORTCUT } from './shortcuts';

const areaLabels: Record<InpaintArea, string> = { whole: 'Whole picture', masked: 'Only the masked area' };
const fillLabels: Record<MaskFill, string> = { original: 'The original pixels', noise: 'Noise (paint anew)' };
const sideLabels: Record<keyof Outpaint, string> = { left: 'Left', right: 'Right', top: 'Top', bottom: 'Bottom' };

const snapTo8 = (value: number) => Math.round(value / 8) * 8;

/** What the edit does: the model and prompt, the brush, the inpaint options, the outpaint sizes, and upscaling. */
export function CanvasPanel({ onSubmit }: { onSubmit(): void }) {
  const canvas = useCanvasStore();
  const models = useGenerateStore((state) => state.models);
  const { outpaint } = canvas;
  const extending = outpaint.left + outpaint.top + outpaint.right + outpaint.bottom > 0;
  return (
    <form
      className="panel generate-form canvas-panel"
      aria-label="Edit settings"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <div className="form-scroll">
        <div className="field">
          <label htmlFor="canvas-model">Model</label>
          <select id="canvas-model" value={canvas.modelId ?? ''} onChange={(event) => canvas.update({ modelId: event.target.value })}>
            {canvas.modelId === null && <option value="">Choose a model</option>}
            {models.map((model) => (
              <option key={model.id} value={model.id}>
                {model.name}
                {model.inpainting ? ' (inpainting)' : ''}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="canvas-prompt">Prompt</label>
          <textarea id="canvas-prompt" rows={3} value={canvas.prompt} onChange={(event) => canvas.update({ prompt: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="canvas-negative">Negative prompt</label>
          <textarea id="canvas-negative" rows={2} value={canvas.negativePrompt} onChange={(event) => canvas.update({ negativePrompt: event.target.value })} />
        </div>

        <fieldset className="field canvas-group">
          <legend>Mask</legend>
          <SliderField label="Brush size" value={canvas.brushSize} min={1} max={512} sliderMax={256} step={1} onChange={(brushSize) => canvas.update({ brushSize })} />
          <SliderField label="Hardness" value={canvas.hardness} min={0} max={1} step={0.05} onChange={(hardness) => canvas.update({ hardness })} />
          <SliderField label="Mask opacity" value={canvas.maskOpacity} min={0.1} max={1} step={0.05} onChange={(maskOpacity) => canvas.update({ maskOpacity })} />
        </fieldset>

        <fieldset className="field canvas-group">
          <legend>Inpaint</legend>
          <SliderField
            label="Strength"
            value={canvas.strength}
            min={0.01}
            max={1}
            step={0.01}
            hint="How far the painted area may move from what is there."
            onChange={(strength) => canvas.update({ strength })}
          />
          <SliderField label="Mask blur" value={canvas.maskBlur} min={0} max={64} step={1} hint="Softens the seam where the new pixels meet the old." onChange={(maskBlur) => canvas.update({ maskBlur })} />
          <div className="field">
            <label htmlFor="canvas-area">Inpaint area</label>
            <select id="canvas-area" value={canvas.inpaintArea} onChange={(event) => canvas.update({ inpaintArea: event.target.value as InpaintArea })}>
              {inpaintAreas.map((area) => (
                <option key={area} value={area}>
                  {areaLabels[area]}
                </option>
              ))}
            </select>
          </div>
          {canvas.inpaintArea === 'masked' && (
            <SliderField
              label="Padding"
              value={canvas.maskPadding}
              min={0}
              max={512}
              sliderMax={128}
              step={4}
              hint="Pixels around the mask the model sees as context."
              onChange={(maskPadding) => canvas.update({ maskPadding })}
            />
          )}
          <div className="field">
            <label htmlFor="canvas-fill">Masked area starts from</label>
            <select id="canvas-fill" value={canvas.fill} onChange={(event) => canvas.update({ fill: event.target.value as MaskFill })}>
              {maskFills.map((fill) => (
                <option key={fill} value={fill}>
                  {fillLabels[fill]}
                </option>
              ))}
            </select>
          </div>
        </fieldset>

        <fieldset className="field canvas-group">
          <legend>Outpaint</legend>
          <p className="field-hint">The arrows on the picture's edges extend it; the new area is painted to match.</p>
          <div className="field">
            <label htmlFor="canvas-extend-by">Each arrow adds (px)</label>
            <NumberInput id="canvas-extend-by" value={canvas.extendBy} min={8} max={512} step={8} normalise={snapTo8} onCommit={(extendBy) => canvas.update({ extendBy })} />
          </div>
          <div className="outpaint-sides">
            {(Object.keys(sideLabels) as Array<keyof Outpaint>).map((side) => (
              <div className="field" key={side}>
                <label htmlFor={`canvas-outpaint-${side}`}>{sideLabels[side]}</label>
                <NumberInput
                  id={`canvas-outpaint-${side}`}
                  value={outpaint[side]}
                  min={0}
                  max={1024}
                  step={8}
                  normalise={snapTo8}
                  onCommit={(pixels) => canvas.update({ outpaint: { ...outpaint, [side]: pixels } })}
                />
              </div>
            ))}
          </div>
          {extending && (
            <button type="button" className="link" onClick={() => canvas.update({ outpaint: noOutpaint })}>
              Keep the original size
            </button>
          )}
        </fieldset>

        <fieldset className="field canvas-group">
          <legend>Upscale</legend>
          <UpscalerSelect />
          <div className="upscale-row">
            <select aria-label="Upscale by" value={canvas.upscaleScale} onChange={(event) => canvas.update({ upscaleScale: Number(event.target.value) === 4 ? 4 : 2 })}>
              <option value={2}>2× larger</option>
              <option value={4}>4× larger</option>
            </select>
            <button type="button" disabled={canvas.image === null} onClick={() => void canvas.upscale()}>
              Upscale
            </button>
          </div>
        </fieldset>

        <details className="canvas-shortcuts">
          <summary>Keyboard shortcuts</summary>
          <dl>
            {canvasShortcuts.map((shortcut) => (
              <div key={shortcut.action}>
                <dt>
                  <kbd>{shortcut.keys}</kbd>
                </dt>
                <dd>{shortcut.action}</dd>
              </div>
            ))}
          </dl>
        </details>
      </div>
      <div className="form-footer">
        {canvas.message && (
          <div className="form-error" role="alert">
            <span>{canvas.message}</span>
            <button type="button" className="link" onClick={() => canvas.update({ message: null })}>
              Dismiss
            </button>
          </div>
        )}
        <button type="submit" className="primary generate-button" disabled={canvas.image === null || canvas.modelId === null}>
          {extending ? 'Repaint and extend' : 'Repaint'}
          <kbd>{EDIT_SHORTCUT}</kbd>
        </button>
      </div>
    </form>
  );
}
