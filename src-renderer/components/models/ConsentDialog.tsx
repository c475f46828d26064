import { useCallback, useEffect, useRef, useState } from 'react';
import type { DownloadPlanSummary, ErrorInfo, ModelSummary } from '../../../src-preload/api';
import { useAppStore } from '../../stores/app-store';
import { useModelsStore } from '../../stores/models-store';
import { Dialog } from './Dialog';
import { formatBytes } from '../../../src-shared/format';

type PlanState = { kind: 'loading' } | { kind: 'ready'; plan: DownloadPlanSummary } | { kind: 'failed'; error: ErrorInfo };

function hubHost(endpoint: string | undefined): string {
  if (!endpoint) return 'the model hub';
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

/** Nothing large is fetched without a yes: what it costs on disk, where it goes, and under which licence. */
export function ConsentDialog({ model, onClose }: { model: ModelSummary; onClose(): void }) {
  const planDownload = useModelsStore((state) => state.plan);
  const download = useModelsStore((state) => state.download);
  const hub = useAppStore((state) => hubHost(state.settings?.hubEndpoint));
  const [planState, setPlanState] = useState<PlanState>({ kind: 'loading' });
  const downloadButton = useRef<HTMLButtonElement>(null);

  const check = useCallback(async () => {
    setPlanState({ kind: 'loading' });
    const result = await planDownload(model.id);
    setPlanState(result.ok ? { kind: 'ready', plan: result.value } : { kind: 'failed', error: result.error });
  }, [planDownload, model.id]);

  useEffect(() => {
    void check();
  }, [check]);

  const plan = planState.kind === 'ready' ? planState.plan : null;
  const tooBig = plan !== null && plan.remainingBytes > plan.freeBytes;
  const canStart = plan !== null && !tooBig;

  // The answer arrives after the dialog opened on "Not now"; once there is something to say yes to, offer it.
  useEffect(() => {
    if (canStart) downloadButton.current?.focus();
  }, [canStart]);

  const start = () => {
    onClose();
    void download(model.id);
  };

  return (
    <Dialog
      title={`Download ${model.name}?`}
      onClose={onClose}
      actions={
        <>
          <button type="button" onClick={onClose} data-autofocus>
            Not now
          </button>
          <button ref={downloadButton} type="button" className="primary" onClick={start} disabled={!canStart}>
            Download
          </button>
        </>
      }
    >
      {planState.kind === 'loading' && (
        <p className="models-dim" role="status">
          Asking {hub} how much there is to fetch…
        </p>
      )}
      {planState.kind === 'failed' && (
        <div className="models-problem" role="alert">
          <p>{planState.error.message}</p>
          <button type="button" onClick={() => void check()}>
            Try again
          </button>
        </div>
      )}
      {plan && (
        <>
          <dl className="models-plan">
            <dt>To download</dt>
            <dd>
              {formatBytes(plan.remainingBytes)}
              {plan.remainingBytes < plan.totalBytes && (
                <span className="models-dim"> (of {formatBytes(plan.totalBytes)}; the rest is already here)</span>
              )}
            </dd>
            <dt>Free disk</dt>
            <dd>{formatBytes(plan.freeBytes)}</dd>
            <dt>Saved in</dt>
            <dd>
              <code>{plan.folder}</code>
            </dd>
            <dt>From</dt>
            <dd>{hub}</dd>
            {model.licence && (
              <>
                <dt>Licence</dt>
                <dd>
                  <a href={model.licence.url} target="_blank" rel="noreferrer">
                    {model.licence.name}
                  </a>
                </dd>
              </>
            )}
          </dl>
          {tooBig ? (
            <p className="models-problem" role="alert">
              Not enough disk space: {formatBytes(plan.remainingBytes)} needed, {formatBytes(plan.freeBytes)} free on{' '}
              {plan.volume}. Free some space, or choose another models folder in Settings.
            </p>
          ) : (
            <p className="models-dim">
              {model.licence ? 'Downloading means you accept the licence above. ' : ''}
              You can pause at any time and resume later; every file is checked when it arrives.
            </p>
          )}
        </>
      )}
    </Dialog>
  );
}
