import { useEffect, useRef, useState } from 'react';
import type { AdapterSummary, ModelSummary } from '../../../src-preload/api';
import { formatBytes } from '../../../src-shared/format';
import { formatWeight, promptLoras, withLora, withLoraWeight, withoutLora, withWords, type PromptLora } from '../../../src-shared/lora-tags';
import { baseLabels, byFit, fitOf, useAdaptersStore } from '../../stores/adapters-store';
import { useAppStore } from '../../stores/app-store';
import { useGenerateStore } from '../../stores/generate-store';
import { Icon } from '../Icon';
import '../../styles/loras.css';

/** What the file extension of a LoRA or embedding is; the picker's file input takes only these. */
export const ADAPTER_ACCEPT = '.safetensors';

const MAX_WEIGHT = 2;
const MIN_WEIGHT = -1;
/** Trigger words shown under an applied LoRA; the picker lists a few more. */
const SHOWN_TRIGGER_WORDS = 4;

/** An LCM-LoRA draws in about 4 steps with the LCM scheduler at low guidance (its authors' settings). */
const LCM_SETTINGS = { steps: 4, scheduler: 'lcm', guidance: 1 } as const;

function fitLabel(adapter: AdapterSummary, model: ModelSummary | undefined): string {
  const fit = fitOf(adapter, model?.family);
  const base = adapter.base === null ? null : baseLabels[adapter.base];
  if (fit === 'fits') return `${base} · fits this model`;
  if (fit === 'other') return `made for ${base}`;
  return base ?? 'base not stated';
}

function AppliedLora({ lora, installed, known, model, onWeight, onRemove, onWords }: {
  lora: PromptLora;
  model: ModelSummary | undefined;
  installed: AdapterSummary | undefined;
  /** False until the installed LoRAs are listed: nothing is said about being installed before then. */
  known: boolean;
  onWeight(weight: number): void;
  onRemove(): void;
  onWords(words: string): void;
}) {
  const sliderId = `lora-weight-${lora.name.replace(/[^\w-]/g, '_')}`;
  return (
    <li className="applied-lora">
      <div className="applied-lora-head">
        <label htmlFor={sliderId} className="applied-lora-name" title={lora.name}>
          {lora.name}
        </label>
        <output htmlFor={sliderId} className="applied-lora-weight">
          {formatWeight(lora.weight)}
        </output>
        <button type="button" className="icon-button" aria-label={`Take ${lora.name} out of the prompt`} title="Take out of the prompt" onClick={onRemove}>
          <Icon name="close" size={14} />
        </button>
      </div>
      <input
        id={sliderId}
        type="range"
        aria-label={`Weight of ${lora.name}`}
        min={Math.min(MIN_WEIGHT, lora.weight)}
        max={Math.max(MAX_WEIGHT, lora.weight)}
        step={0.05}
        value={lora.weight}
        onChange={(event) => onWeight(Number(event.target.value))}
      />
      {installed?.base && fitOf(installed, model?.family) === 'other' && (
        <p className="field-hint warning-text">
          Made for {baseLabels[installed.base]}: it does not fit {model?.name ?? 'this model'}, and generating will say so.
        </p>
      )}
      {installed === undefined ? (
        known && 
        <p className="field-hint warning-text">Not installed: drop its .safetensors file here, or generating will stop with an error.</p>
      ) : (
        installed.triggerWords.length > 0 && (
          <div className="example-prompts" role="group" aria-label={`Trigger words of ${lora.name}`}>
            {installed.triggerWords.slice(0, SHOWN_TRIGGER_WORDS).map((word) => (
              <button key={word} type="button" className="example-prompt" title="Add to the prompt" onClick={() => onWords(word)}>
                + {word}
              </button>
            ))}
          </div>
        )
      )}
    </li>
  );
}

function LcmNote({ model }: { model: ModelSummary | undefined }) {
  const form = useGenerateStore();
  const usable = model === undefined || model.schedulers.includes('lcm');
  const applied = form.steps === LCM_SETTINGS.steps && form.scheduler === LCM_SETTINGS.scheduler && form.guidance <= 2;
  return (
    <div className="lcm-note" role="note">
      <strong>LCM-LoRA applied.</strong>{' '}
      {usable
        ? applied
          ? 'Drawing in 4 steps with the LCM scheduler.'
          : 'It draws in about 4 steps with the LCM scheduler and guidance 1–2; more steps only slow it down.'
        : `${model?.name ?? 'This model'} cannot use the LCM scheduler, so the LCM-LoRA will not speed it up.`}
      {usable && !applied && (
        <button type="button" className="link" onClick={() => form.update({ ...LCM_SETTINGS })}>
          Use 4 steps, LCM, guidance 1
        </button>
      )}
    </div>
  );
}

function Picker({ model, onClose }: { model: ModelSummary | undefined; onClose(): void }) {
  const { loras, embeddings, importFiles } = useAdaptersStore();
  const folder = useAppStore((state) => state.info?.paths.loras);
  const form = useGenerateStore();
  const [query, setQuery] = useState('');
  const [weight, setWeight] = useState(1);
  const fileInput = useRef<HTMLInputElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // The form scrolls: the picker opens below the prompt, so it is brought into view whole, then searched.
    panel.current?.scrollIntoView({ block: 'nearest' });
    search.current?.focus({ preventScroll: true });
  }, []);
  const matches = (adapter: AdapterSummary) => {
    const needle = query.trim().toLowerCase();
    return needle === '' || adapter.name.toLowerCase().includes(needle) || adapter.triggerWords.some((word) => word.toLowerCase().includes(needle));
  };
  const shownLoras = byFit(loras.filter(matches), model?.family);
  const shownEmbeddings = byFit(embeddings.filter(matches), model?.family);
  const inPrompt = new Set(promptLoras(form.prompt).map((lora) => lora.name));

  return (
    <div
      ref={panel}
      id="lora-picker"
      className="lora-picker"
      role="group"
      aria-label="Pick a LoRA"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <div className="lora-picker-tools">
        <div className="lora-search">
          <Icon name="search" size={15} />
          <input ref={search} type="search" aria-label="Search LoRAs and embeddings" placeholder="Name or trigger word" value={query} onChange={(event) => setQuery(event.target.value)} />
        </div>
        <div className="slider-row">
          <label htmlFor="lora-new-weight" className="picker-weight-label">
            Weight
          </label>
          <input type="range" aria-label="Weight of the LoRA to add" min={MIN_WEIGHT} max={MAX_WEIGHT} step={0.05} value={weight} onChange={(event) => setWeight(Number(event.target.value))} />
          <output id="lora-new-weight" className="applied-lora-weight">
            {formatWeight(weight)}
          </output>
        </div>
      </div>
      {loras.length === 0 && embeddings.length === 0 ? (
        <p className="field-hint">
          No LoRAs or embeddings yet. Drop .safetensors files anywhere on this screen, or import them. They are kept in{' '}
          <code>{folder}</code>.
        </p>
      ) : (
        <ul className="adapter-list" aria-label="LoRAs">
          {shownLoras.map((lora) => {
            const fit = fitOf(lora, model?.family);
            return (
              <li key={lora.name} className={fit === 'other' ? 'adapter-row other' : 'adapter-row'}>
                {lora.preview ? <img src={lora.preview} alt="" className="adapter-preview" /> : <span className="adapter-preview empty" aria-hidden="true" />}
                <div className="adapter-text">
                  <span className="adapter-name" title={lora.name}>
                    {lora.name}
                  </span>
                  <span className={fit === 'other' ? 'adapter-meta warning-text' : 'adapter-meta'}>
                    {lora.problem ?? `${fitLabel(lora, model)} · ${formatBytes(lora.bytes)}${lora.lcm ? ' · LCM' : ''}`}
                  </span>
                  {lora.triggerWords.length > 0 && <span className="adapter-words">{lora.triggerWords.slice(0, 6).join(', ')}</span>}
                </div>
                <button
                  type="button"
                  aria-label={`Add ${lora.name}`}
                  disabled={lora.problem !== null}
                  onClick={() => form.update({ prompt: withLora(form.prompt, lora.name, weight) })}
                >
                  {inPrompt.has(lora.name) ? 'Set weight' : 'Add'}
                </button>
              </li>
            );
          })}
          {shownLoras.length === 0 && loras.length > 0 && <li className="field-hint">No LoRA matches “{query.trim()}”.</li>}
        </ul>
      )}
      {shownEmbeddings.length > 0 && (
        <>
          <h3 className="picker-heading">Embeddings</h3>
          <ul className="adapter-list" aria-label="Embeddings">
            {shownEmbeddings.map((embedding) => (
              <li key={embedding.name} className="adapter-row">
                <div className="adapter-text">
                  <span className="adapter-name">{embedding.name}</span>
                  <span className="adapter-meta">{embedding.problem ?? `${fitLabel(embedding, model)} · ${formatBytes(embedding.bytes)}`}</span>
                </div>
                <div className="adapter-actions">
                  <button type="button" aria-label={`Add ${embedding.name} to the prompt`} onClick={() => form.update({ prompt: withWords(form.prompt, embedding.name) })}>
                    Prompt
                  </button>
                  <button
                    type="button"
                    aria-label={`Add ${embedding.name} to the negative prompt`}
                    onClick={() => form.update({ negativePrompt: withWords(form.negativePrompt, embedding.name) })}
                  >
                    Negative
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
      <div className="lora-picker-footer">
        <button type="button" onClick={() => fileInput.current?.click()}>
          <Icon name="upload" size={15} /> Import .safetensors…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept={ADAPTER_ACCEPT}
          multiple
          hidden
          onChange={(event) => {
            const files = Array.from(event.target.files ?? []);
            event.target.value = '';
            void importFiles(files);
          }}
        />
        <button type="button" className="link" onClick={onClose}>
          Done
        </button>
      </div>
    </div>
  );
}

/**
 * The LoRAs the prompt names, each with its weight and trigger words, and the picker that adds more as
 * `<lora:NAME:WEIGHT>` tags: the prompt text stays the one truth, so what is typed and what is picked agree.
 */
export function LoraSection({ model }: { model: ModelSummary | undefined }) {
  const prompt = useGenerateStore((state) => state.prompt);
  const update = useGenerateStore((state) => state.update);
  const { loras, loaded, error, load } = useAdaptersStore();
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!loaded) void load();
  }, [loaded, load]);
  const applied = promptLoras(prompt);
  const installed = new Map(loras.map((lora) => [lora.name, lora]));
  const lcm = applied.some((lora) => installed.get(lora.name)?.lcm === true);

  return (
    <section className="lora-section" aria-labelledby="lora-section-title">
      <div className="field-label">
        <span id="lora-section-title" className="section-label">
          LoRAs{applied.length > 0 ? ` (${applied.length})` : ''}
        </span>
        <button
          type="button"
          className="link"
          aria-expanded={open}
          aria-controls="lora-picker"
          onClick={() => {
            // Files copied into the folder by hand, or installed from another window, show up on each opening.
            if (!open) void load();
            setOpen(!open);
          }}
        >
          {open ? 'Close' : 'Add LoRA'}
        </button>
      </div>
      {applied.length > 0 && (
        <ul className="applied-loras" aria-label="LoRAs in the prompt">
          {applied.map((lora) => (
            <AppliedLora
              key={lora.name}
              lora={lora}
              installed={installed.get(lora.name)}
              known={loaded}
              model={model}
              onWeight={(weight) => update({ prompt: withLoraWeight(useGenerateStore.getState().prompt, lora.name, weight) })}
              onRemove={() => update({ prompt: withoutLora(useGenerateStore.getState().prompt, lora.name) })}
              onWords={(words) => update({ prompt: withWords(useGenerateStore.getState().prompt, words) })}
            />
          ))}
        </ul>
      )}
      {lcm && <LcmNote model={model} />}
      {error && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
      {open && <Picker model={model} onClose={() => setOpen(false)} />}
    </section>
  );
}
