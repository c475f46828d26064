import { useId } from 'react';
import type { ModelState, ModelSummary, VerifySummary } from '../../../src-preload/api';
import { useModelsStore } from '../../stores/models-store';
import { modelBadges } from './badges';
import { DownloadProgress } from './DownloadProgress';
import { formatBytes } from '../../../src-shared/format';
import { ModelActions } from './ModelActions';

const STATE_LABELS: Record<ModelState, string> = {
  available: 'Not downloaded',
  downloading: 'Downloading',
  paused: 'Paused',
  failed: 'Download failed',
  installed: 'Installed',
  partial: 'Incomplete',
  corrupt: 'Damaged',
  'missing-files': 'Files missing',
};

const MISSING_FILES_ADVICE: Record<ModelSummary['origin'], string> = {
  catalog: 'Repair fetches them again.',
  imported: 'Put them back, or remove the model.',
  builtin: 'They come with Easel: reinstalling Easel brings them back.',
};

/** States in which the files are (meant to be) on this computer, so the size is what they take there. */
const ON_DISK: readonly ModelState[] = ['installed', 'corrupt', 'missing-files'];

/** The core's messages are sometimes a phrase ("Paused at 1.2 of 2.6 GB"); followed by more text they need a full stop. */
function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

function needs(requirements: ModelSummary['requirements']): string {
  if (!requirements) return 'Not stated';
  const gpu = requirements.minVramGb > 0 ? `${requirements.minVramGb} GB VRAM` : 'no GPU needed';
  return `${requirements.minRamGb} GB RAM · ${gpu}`;
}

function ModelFacts({ model }: { model: ModelSummary }) {
  return (
    <dl className="model-facts">
      <div>
        <dt>{ON_DISK.includes(model.state) ? 'On disk' : 'Download'}</dt>
        <dd>{formatBytes(model.sizeBytes)}</dd>
      </div>
      <div>
        <dt>Needs</dt>
        <dd>{needs(model.requirements)}</dd>
      </div>
      {model.family === 'tiny-decoder' ? null : model.upscaleFactor === null ? (
        <>
          <div>
            <dt>Native size</dt>
            <dd>
              {model.defaults.width}×{model.defaults.height}
            </dd>
          </div>
          <div>
            <dt>Default steps</dt>
            <dd>{model.defaults.steps}</dd>
          </div>
        </>
      ) : (
        <div>
          <dt>Enlarges</dt>
          <dd>{model.upscaleFactor}×</dd>
        </div>
      )}
      <div>
        <dt>Licence</dt>
        <dd>
          {model.licence ? (
            <a href={model.licence.url} target="_blank" rel="noreferrer">
              {model.licence.name}
            </a>
          ) : (
            'Not stated'
          )}
        </dd>
      </div>
    </dl>
  );
}

/** What happened, in words, for every state that is not simply "ready" or "not here yet". */
function ModelStatus({ model }: { model: ModelSummary }) {
  const repairable = model.origin === 'catalog';
  switch (model.state) {
    case 'downloading':
      return model.download ? <DownloadProgress name={model.name} status={model.download} /> : null;
    case 'paused':
    case 'partial':
      return (
        <p className="models-note" role="status">
          {sentence(model.download?.message ?? 'The download stopped before it finished')} Resume continues where it stopped.
        </p>
      );
    case 'failed':
      return (
        <p className="models-problem" role="alert">
          {model.download?.message ?? 'The download failed.'}
        </p>
      );
    case 'corrupt':
      return (
        <p className="models-problem">
          Some of its files do not match what was downloaded.{' '}
          {repairable ? 'Repair fetches them again.' : 'Import the folder again, or remove it.'}
        </p>
      );
    case 'missing-files':
      return (
        <p className="models-problem">
          Some of its files are missing from its folder. {MISSING_FILES_ADVICE[model.origin]}
        </p>
      );
    default:
      return null;
  }
}

function VerifyResult({ result }: { result: VerifySummary }) {
  if (result.ok) {
    return (
      <p className="models-ok" role="status">
        Verified: every file is there and matches what was installed.
      </p>
    );
  }
  return (
    <div className="models-problem" role="alert">
      <p>Verify found {result.problems.length === 1 ? 'a problem' : `${result.problems.length} problems`}:</p>
      <ul>
        {result.problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </div>
  );
}

/** `inUse`: Generate draws with this model now. */
export function ModelCard({ model, inUse }: { model: ModelSummary; inUse: boolean }) {
  const titleId = useId();
  const error = useModelsStore((state) => state.actionErrors[model.id]);
  const verifyResult = useModelsStore((state) => state.verifyResults[model.id]);
  return (
    <article className={`panel model-card model-${model.state}`} aria-labelledby={titleId}>
      <header className="model-card-header">
        <div className="model-card-title">
          <h2 id={titleId}>{model.name}</h2>
          {modelBadges(model).map((badge) => (
            <span key={badge} className="model-badge">
              {badge}
            </span>
          ))}
          {inUse && <span className="model-badge model-badge-accent">In use</span>}
        </div>
        <span className={`model-state model-state-${model.state}`}>{STATE_LABELS[model.state]}</span>
      </header>
      <p className="model-description">{model.description}</p>
      <ModelFacts model={model} />
      <ModelStatus model={model} />
      {verifyResult && <VerifyResult result={verifyResult} />}
      {error && (
        <p className="models-problem" role="alert">
          {error.message}
        </p>
      )}
      <ModelActions model={model} inUse={inUse} />
    </article>
  );
}
