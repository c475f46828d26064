import { decoderChoices, schedulerNames, type DecoderChoice, type ModelSummary, type SchedulerName } from '../../../src-preload/api';
import { schedulerLabels } from '../../../src-shared/schedulers';
import { isTurbo, makesNewImages, useGenerateStore } from '../../stores/generate-store';
import { useJobsStore } from '../../stores/jobs-store';
import { HiresField } from './HiresField';
import { InitImageField } from './InitImageField';
import { LoraSection } from './LoraSection';
import { ModelAbilities } from './ModelAbilities';
import { NumberInput, SliderField } from './NumberField';
import { PromptField } from './PromptField';
import { SeedField } from './SeedField';
import { SizeField } from './SizeField';

const decoderLabels: Record<DecoderChoice, string> = {
  auto: 'Auto (fast decoder on CPU)',
  full: 'Full VAE',
  tiny: 'Fast (tiny decoder)',
};

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const GENERATE_SHORTCUT = isMac ? '⌘ Enter' : 'Ctrl+Enter';

/** Queues a generation with the form as it stands; shared by the button and the keyboard shortcut. */
export async function generateNow(): Promise<void> {
  // A number box applies its value on blur: leaving it now (synchronously) makes Ctrl+Enter use what was typed.
  const active = document.activeElement;
  if (active instanceof HTMLElement) {
    active.blur();
    active.focus();
  }
  const request = useGenerateStore.getState().takeRequest();
  if (!request) return;
  const job = await useJobsStore.getState().enqueue(request);
  // An unlocked seed is drawn by Easel for each run: show the one this run got.
  if (job && request.seed === undefined) useGenerateStore.getState().update({ seed: job.request.seed });
}

/**
 * The decoders the model can use: the tiny one only when it carries one. One chosen earlier that it lacks
 * (settings taken from a picture another model made) stays listed, marked, so the select never shows what is
 * not chosen.
 */
function offeredDecoders(model: ModelSummary | undefined, chosen: DecoderChoice): DecoderChoice[] {
  if (!model || model.tinyDecoder) return [...decoderChoices];
  return decoderChoices.filter((choice) => choice !== 'tiny' || chosen === 'tiny');
}

/**
 * The schedulers the model draws right with; one chosen earlier that is not among them (settings taken from an
 * older picture) stays listed, marked, so the select never shows what is not chosen.
 */
function offeredSchedulers(model: ModelSummary | undefined, chosen: SchedulerName): SchedulerName[] {
  if (!model) return [...schedulerNames];
  return model.schedulers.includes(chosen) ? model.schedulers : [...model.schedulers, chosen];
}

export function GenerateForm() {
  const form = useGenerateStore();
  const enqueueError = useJobsStore((state) => state.error);
  const dismissError = useJobsStore((state) => state.dismissError);
  const model = form.models.find((known) => known.id === form.modelId);
  const turbo = isTurbo(model);
  const native = model ? { width: model.defaults.width, height: model.defaults.height } : { width: 512, height: 512 };

  return (
    <form
      className="panel generate-form"
      aria-label="Generation settings"
      onSubmit={(event) => {
        event.preventDefault();
        void generateNow();
      }}
    >
      <div className="form-scroll">
        <div className="field">
          <label htmlFor="field-model">Model</label>
          <select id="field-model" value={form.modelId ?? ''} onChange={(event) => form.selectModel(event.target.value)} disabled={form.models.length === 0}>
            {form.models.length === 0 && <option value="">No model installed</option>}
            {form.models.filter(makesNewImages).map((known) => (
              <option key={known.id} value={known.id}>
                {known.name}
              </option>
            ))}
          </select>
        </div>
        <PromptField
          label="Prompt"
          rows={5}
          value={form.prompt}
          modelId={form.modelId}
          placeholder={model?.capabilities?.placeholder ?? 'Describe the picture'}
          describedBy={model?.capabilities ? 'model-abilities-summary' : undefined}
          onChange={(prompt) => form.update({ prompt })}
        />
        <ModelAbilities
          model={model}
          installed={form.models}
          onExample={(prompt) => form.update({ prompt })}
          onSelectModel={form.selectModel}
        />
        <LoraSection model={model} />
        <PromptField
          label="Negative prompt"
          rows={2}
          value={form.negativePrompt}
          modelId={form.modelId}
          placeholder="blurry, low quality, text"
          onChange={(negativePrompt) => form.update({ negativePrompt })}
        />
        <InitImageField />
        <SliderField
          label="Steps"
          value={form.steps}
          min={1}
          max={200}
          step={1}
          sliderMax={turbo ? 4 : 60}
          hint={turbo ? 'Turbo models need only 1–4 steps.' : undefined}
          onChange={(steps) => form.update({ steps })}
        />
        <SliderField
          label="Guidance (CFG)"
          value={form.guidance}
          min={0}
          max={30}
          step={0.5}
          sliderMax={turbo ? 2 : 15}
          hint={turbo ? 'Turbo models are made for guidance 0.' : undefined}
          onChange={(guidance) => form.update({ guidance })}
        />
        <SizeField width={form.width} height={form.height} native={native} onChange={(size) => form.update(size)} />
        <HiresField />
        <div className="field">
          <label htmlFor="field-scheduler">Scheduler</label>
          <select id="field-scheduler" value={form.scheduler} onChange={(event) => form.update({ scheduler: event.target.value as SchedulerName })}>
            {offeredSchedulers(model, form.scheduler).map((name) => (
              <option key={name} value={name}>
                {schedulerLabels[name]}
                {model?.defaults.scheduler === name ? ' (default)' : ''}
                {model && !model.schedulers.includes(name) ? ' (does not work with this model)' : ''}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="field-decoder">Decoder</label>
          <select
            id="field-decoder"
            value={form.decoder}
            aria-describedby={model && !model.tinyDecoder ? 'decoder-hint' : undefined}
            onChange={(event) => form.update({ decoder: event.target.value as DecoderChoice })}
          >
            {offeredDecoders(model, form.decoder).map((choice) => (
              <option key={choice} value={choice}>
                {decoderLabels[choice]}
                {choice === 'tiny' && model && !model.tinyDecoder ? ' (this model has none)' : ''}
              </option>
            ))}
          </select>
          {model && !model.tinyDecoder && (
            <p id="decoder-hint" className="field-hint">
              This model has no tiny decoder (a vae_decoder_tiny folder), so its full VAE decodes every picture.
            </p>
          )}
        </div>
        <SeedField
          seed={form.seed}
          locked={form.seedLocked}
          onChange={(patch) => form.update(patch)}
          onRandomise={() => form.update({ seed: '', seedLocked: false })}
        />
        <div className="field count-field">
          <label htmlFor="field-count">Batch count</label>
          <NumberInput id="field-count" value={form.count} min={1} max={16} step={1} normalise={Math.round} onCommit={(count) => form.update({ count })} />
        </div>
      </div>
      <div className="form-footer">
        {enqueueError && (
          <div className="form-error" role="alert">
            <span>{enqueueError.message}</span>
            <button type="button" className="link" onClick={dismissError}>
              Dismiss
            </button>
          </div>
        )}
        <button type="submit" className="primary generate-button" disabled={!form.modelId}>
          Generate
          <kbd>{GENERATE_SHORTCUT}</kbd>
        </button>
      </div>
    </form>
  );
}
