import { useEffect } from 'react';
import type { ModelSummary } from '../../../src-preload/api';
import { builtinModel, chosenModel, useSetupStore } from '../../stores/setup-store';
import { formatBytes } from '../../../src-shared/format';
import { ErrorNote, StatusMark, StepFrame } from './StepFrame';

function Progress({ model }: { model: ModelSummary }) {
  const download = model.download;
  const total = download?.totalBytes || model.sizeBytes;
  const done = download?.bytes ?? 0;
  const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
  return (
    <div className="setup-progress">
      <div
        className="setup-progress-bar"
        role="progressbar"
        aria-label={`Downloading ${model.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span style={{ width: `${percent}%` }} />
      </div>
      <p className="setup-muted" aria-live="polite">
        {download?.message || `${percent}%`}
      </p>
    </div>
  );
}

export function DownloadStep() {
  const model = useSetupStore(chosenModel);
  const demo = useSetupStore(builtinModel);
  const models = useSetupStore((state) => state.models);
  const plan = useSetupStore((state) => state.plan);
  const busy = useSetupStore((state) => state.busy);
  const actionError = useSetupStore((state) => state.actionError);
  const { loadModels, loadPlan, download, pause, cancel, next, back, goTo, switchToDemo } = useSetupStore.getState();

  useEffect(() => {
    if (useSetupStore.getState().models.status !== 'ready') void loadModels();
  }, [loadModels]);
  const needsPlan = model !== null && model.state !== 'installed' && model.origin === 'catalog';
  useEffect(() => {
    if (needsPlan && useSetupStore.getState().plan.status === 'idle') void loadPlan();
  }, [needsPlan, loadPlan]);

  const ready = model?.state === 'installed';
  const state = model?.state;
  const title = ready ? `${model!.name} is ready` : model ? `Download ${model.name}` : 'Download';

  return (
    <StepFrame
      title={title}
      intro={ready ? undefined : 'The download can be paused, and picks up where it stopped, even after Easel is closed.'}
      back={{ label: 'Back', onClick: () => void back() }}
      secondary={ready ? undefined : { label: 'Skip this step', onClick: () => void goTo('first-image') }}
      // The step's own button (Download, Resume) is its one primary until the model is ready.
      next={ready ? { label: 'Make a picture', onClick: () => void next() } : undefined}
    >
      {models.status === 'loading' && (
        <p className="setup-busy">
          <StatusMark kind="busy" /> Loading…
        </p>
      )}
      {models.status === 'ready' && model === null && (
        <ErrorNote message="No model is chosen yet. Go back and choose one." action={{ label: 'Choose a model', onClick: () => void goTo('model') }} />
      )}
      {ready && (
        <p className="setup-done-line">
          <StatusMark kind="ok" /> {model!.origin === 'catalog' ? 'Downloaded and checked.' : 'Nothing to download: it is already on this computer.'}
        </p>
      )}
      {model && !ready && (
        <>
          {plan.status === 'ready' && (
            <dl className="facts setup-plan-facts">
              <dt>To download</dt>
              <dd>{formatBytes(plan.value.remainingBytes)}{plan.value.remainingBytes < plan.value.totalBytes ? ` (of ${formatBytes(plan.value.totalBytes)})` : ''}</dd>
              <dt>Free on the disk</dt>
              <dd>{formatBytes(plan.value.freeBytes)}</dd>
              <dt>Into</dt>
              <dd>
                <code>{plan.value.folder}</code>
              </dd>
            </dl>
          )}
          {plan.status === 'ready' && plan.value.remainingBytes > plan.value.freeBytes && (
            <p className="setup-warning">There is not enough free space. Free some space, or go back and choose a smaller model.</p>
          )}
          {plan.status === 'failed' && <ErrorNote message={plan.error.message} action={{ label: 'Try again', onClick: () => void loadPlan() }} />}
          {model.licence && (
            <p className="setup-muted">
              Licence: <a href={model.licence.url} target="_blank" rel="noreferrer">{model.licence.name}</a>. Downloading means you accept it.
            </p>
          )}
          {(state === 'downloading' || state === 'paused') && <Progress model={model} />}
          {state === 'failed' && model.download?.error && (
            <ErrorNote message={model.download.error.message} action={{ label: 'Try again', onClick: () => void download(), disabled: busy }} />
          )}
          {state === 'failed' && demo && (
            <p className="setup-muted">
              <button type="button" className="link" onClick={() => void switchToDemo()}>
                Use the built-in demo for now
              </button>{' '}
              — it draws simple shapes at once; download {model.name} later from the Models screen.
            </p>
          )}
          <div className="row setup-download-buttons">
            {(state === 'available' || state === 'partial' || state === 'corrupt' || state === 'missing-files') && (
              <button type="button" className="primary" onClick={() => void download()} disabled={busy}>
                {state === 'available' ? 'Download' : 'Finish the download'}
              </button>
            )}
            {state === 'downloading' && (
              <button type="button" onClick={() => void pause()} disabled={busy}>
                Pause
              </button>
            )}
            {state === 'paused' && (
              <button type="button" className="primary" onClick={() => void download()} disabled={busy}>
                Resume
              </button>
            )}
            {(state === 'downloading' || state === 'paused' || state === 'failed') && (
              <button type="button" onClick={() => void cancel()} disabled={busy}>
                Cancel download
              </button>
            )}
          </div>
        </>
      )}
      {actionError && actionError.message !== model?.download?.error?.message && <ErrorNote message={actionError.message} />}
    </StepFrame>
  );
}
