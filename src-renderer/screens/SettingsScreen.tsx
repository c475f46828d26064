import { useEffect, useState } from 'react';
import {
  DEFAULT_HUB_ENDPOINT,
  providerChoiceSchema,
  themeSchema,
  type ErrorInfo,
  type FolderKind,
  type GpuInfo,
  type ProviderChoice,
  type SettingsPatch,
} from '../../src-preload/api';
import { easel } from '../bridge';
import { providerChoiceOptions } from '../provider-labels';
import { useAppStore } from '../stores/app-store';

/** A text setting saved on demand; an empty field means "use the default" (null). */
function TextSettingField({ label, value, placeholder, onSave }: {
  label: string;
  value: string | null;
  placeholder: string;
  onSave: (value: string | null) => void;
}) {
  const [draft, setDraft] = useState(value ?? '');
  useEffect(() => setDraft(value ?? ''), [value]);
  const trimmed = draft.trim();
  return (
    <label className="field">
      <span>{label}</span>
      <div className="row">
        <input value={draft} placeholder={placeholder} onChange={(event) => setDraft(event.target.value)} />
        <button type="button" disabled={trimmed === (value ?? '')} onClick={() => onSave(trimmed === '' ? null : trimmed)}>
          Save
        </button>
      </div>
    </label>
  );
}

/** The access token is write-only: the window can set or remove it, never read it back. */
function TokenField({ isSet, onSave }: { isSet: boolean; onSave: (token: string) => void }) {
  const [draft, setDraft] = useState('');
  return (
    <div className="field">
      <label htmlFor="hub-token">
        <span>Hugging Face access token {isSet ? '(set)' : '(for gated models only)'}</span>
      </label>
      <div className="row">
        <input
          id="hub-token"
          type="password"
          autoComplete="off"
          value={draft}
          placeholder={isSet ? 'A token is saved; type a new one to replace it' : 'hf_…'}
          onChange={(event) => setDraft(event.target.value)}
        />
        <button
          type="button"
          disabled={draft.trim() === ''}
          onClick={() => {
            onSave(draft.trim());
            setDraft('');
          }}
        >
          Save
        </button>
        {isSet && (
          <button type="button" onClick={() => onSave('')}>
            Remove
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * The gallery, models, LoRA or embeddings folder. The desktop app asks in the system's folder dialog; in a browser the
 * person types the folder, confirms, and Easel takes it only when it is empty or already Easel's,
 * saying why not otherwise.
 */
/** How the confirmation names each folder. */
const folderNames: Record<FolderKind, string> = { gallery: 'gallery', models: 'models', loras: 'LoRA', embeddings: 'embeddings' };

function FolderField({ which, label, current, host }: { which: FolderKind; label: string; current: string; host: 'electron' | 'web' }) {
  const chooseFolder = useAppStore((state) => state.chooseFolder);
  const [draft, setDraft] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [refusal, setRefusal] = useState<ErrorInfo | null>(null);
  const id = `folder-${which}`;
  const choose = async (path?: string) => {
    setConfirming(false);
    const error = await chooseFolder(which, path);
    setRefusal(error);
    if (!error) setDraft('');
  };
  return (
    <div className="field">
      <label htmlFor={id}>
        <span>{label}</span>
      </label>
      <code>{current}</code>
      {host === 'electron' ? (
        <div className="row">
          <button type="button" id={id} onClick={() => void choose()}>
            Choose…
          </button>
        </div>
      ) : (
        <div className="row">
          <input id={id} value={draft} placeholder="A full path to an empty or Easel folder" onChange={(event) => setDraft(event.target.value)} />
          <button type="button" disabled={draft.trim() === ''} onClick={() => setConfirming(true)}>
            Change
          </button>
        </div>
      )}
      {confirming && (
        <div className="row" role="alertdialog" aria-label={`Confirm the ${folderNames[which]} folder`}>
          <span>
            Use <code>{draft.trim()}</code> as the {folderNames[which]} folder? Easel will write and delete its own files there.
          </span>
          <button type="button" onClick={() => void choose(draft.trim())}>
            Use this folder
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {refusal && (
        <p className="field-error" role="alert">
          {refusal.message}
        </p>
      )}
    </div>
  );
}

/** The graphics cards hardware detection found; null until it answers, and when it cannot. */
function useDetectedGpus(): GpuInfo[] | null {
  const [gpus, setGpus] = useState<GpuInfo[] | null>(null);
  useEffect(() => {
    let shown = true;
    void easel.system.hardware().then((result) => {
      if (shown && result.ok) setGpus(result.value.report.gpus);
    });
    return () => {
      shown = false;
    };
  }, []);
  return gpus;
}

/** Every provider, marked when this computer cannot run it; the saved choice's mark is explained below. */
function ProviderField({ value, platform, onChange }: { value: ProviderChoice; platform: string; onChange: (choice: ProviderChoice) => void }) {
  const options = providerChoiceOptions(platform, useDetectedGpus());
  const note = options.find((option) => option.choice === value)?.note ?? null;
  return (
    <div className="field">
      <label htmlFor="preferred-provider">
        <span>Run models on</span>
      </label>
      <select
        id="preferred-provider"
        value={value}
        aria-describedby={note === null ? undefined : 'preferred-provider-note'}
        onChange={(event) => onChange(providerChoiceSchema.parse(event.target.value))}
      >
        {options.map((option) => (
          <option key={option.choice} value={option.choice} disabled={option.disabled}>
            {option.label}
          </option>
        ))}
      </select>
      {note !== null && (
        <p id="preferred-provider-note" className="field-note">
          {note}
        </p>
      )}
    </div>
  );
}

export function SettingsScreen() {
  const settings = useAppStore((state) => state.settings);
  const info = useAppStore((state) => state.info);
  const updateSettings = useAppStore((state) => state.updateSettings);
  if (!settings || !info) return null;
  const save = (patch: SettingsPatch) => void updateSettings(patch);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Settings</h1>
      </header>
      <section className="panel settings">
        <h2>Appearance and performance</h2>
        <label className="field">
          <span>Theme</span>
          <select value={settings.theme} onChange={(event) => save({ theme: themeSchema.parse(event.target.value) })}>
            <option value="system">Follow the system</option>
            <option value="dark">Dark</option>
            <option value="light">Light</option>
          </select>
        </label>
        <ProviderField
          value={settings.preferredProvider}
          platform={info.platform}
          onChange={(preferredProvider) => save({ preferredProvider })}
        />
        <h2>Folders</h2>
        <FolderField which="gallery" label="Gallery folder" current={info.paths.gallery} host={info.host} />
        <FolderField which="models" label="Models folder" current={info.paths.models} host={info.host} />
        <FolderField which="loras" label="LoRA folder" current={info.paths.loras} host={info.host} />
        <FolderField which="embeddings" label="Embeddings folder" current={info.paths.embeddings} host={info.host} />
      </section>
      <section className="panel settings">
        <h2>Downloads</h2>
        <TextSettingField
          label="Model hub address (a mirror may replace it)"
          value={settings.hubEndpoint === DEFAULT_HUB_ENDPOINT ? null : settings.hubEndpoint}
          placeholder={DEFAULT_HUB_ENDPOINT}
          onSave={(hubEndpoint) => save({ hubEndpoint: hubEndpoint ?? DEFAULT_HUB_ENDPOINT })}
        />
        <TokenField isSet={settings.hubTokenSet} onSave={(hubToken) => void updateSettings({ hubToken })} />
      </section>
      <section className="panel settings">
        <h2>Setup</h2>
        <p className="setup-muted">Check this computer again, pick a model that suits it and make a test picture.</p>
        <div>
          <button type="button" onClick={() => save({ setupComplete: false, setupStep: 'welcome' })}>
            Run setup again
          </button>
        </div>
      </section>
      <section className="panel settings">
        <h2>About Easel</h2>
        <dl className="facts">
          <dt>Version</dt>
          <dd>{info.version}</dd>
          <dt>System</dt>
          <dd>
            {info.platform} ({info.arch})
          </dd>
          <dt>Running in</dt>
          <dd>{info.host === 'web' ? 'a browser, through the Easel web host' : 'the Easel desktop app'}</dd>
          <dt>Data folder</dt>
          <dd>
            <code>{info.paths.data}</code>
          </dd>
        </dl>
      </section>
    </div>
  );
}
