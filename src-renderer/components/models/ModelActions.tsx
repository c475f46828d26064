import { useState } from 'react';
import type { ModelSummary } from '../../../src-preload/api';
import { useModelsStore } from '../../stores/models-store';
import { ConfirmDialog } from './ConfirmDialog';
import { ConsentDialog } from './ConsentDialog';
import { formatBytes } from '../../../src-shared/format';

type OpenDialog = 'consent' | 'remove' | 'cancel' | null;

/**
 * The buttons a model's state allows, and the questions asked before the ones that fetch or delete. The
 * model in use offers no "Use this model": its card says "In use" instead; nor does an upscaler, which is picked
 * where pictures are upscaled.
 */
export function ModelActions({ model, inUse }: { model: ModelSummary; inUse: boolean }) {
  const busy = useModelsStore((state) => state.busy[model.id]);
  const { download, pause, cancel, remove, verify, use } = useModelsStore.getState();
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const close = () => setDialog(null);
  const id = model.id;
  const fetchable = model.origin === 'catalog';
  const removable = model.origin !== 'builtin' && !model.readOnly;
  const downloaded = model.download && model.download.bytes > 0 ? formatBytes(model.download.bytes) : null;

  const buttons = (() => {
    switch (model.state) {
      case 'available':
        return fetchable ? (
          <button type="button" className="primary" disabled={!!busy} onClick={() => setDialog('consent')}>
            {busy === 'download' ? 'Starting…' : 'Download'}
          </button>
        ) : null;
      case 'downloading':
        return (
          <>
            <button type="button" disabled={!!busy} onClick={() => void pause(id)}>
              {busy === 'pause' ? 'Pausing…' : 'Pause'}
            </button>
            <button type="button" disabled={!!busy} onClick={() => setDialog('cancel')}>
              Cancel download
            </button>
          </>
        );
      case 'paused':
      case 'partial':
      case 'failed':
        // The person said yes to this download already; going on needs no second question.
        return (
          <>
            <button type="button" className="primary" disabled={!!busy} onClick={() => void download(id)}>
              {busy === 'download' ? 'Starting…' : model.state === 'failed' ? 'Retry' : 'Resume'}
            </button>
            <button type="button" disabled={!!busy} onClick={() => setDialog('cancel')}>
              {busy === 'cancel' ? 'Cancelling…' : 'Cancel download'}
            </button>
          </>
        );
      default: {
        const ready = model.state === 'installed';
        return (
          <>
            {ready && !inUse && model.family !== 'upscaler' && model.family !== 'tiny-decoder' && (
              <button type="button" className="primary" disabled={!!busy} onClick={() => void use(id)}>
                Use this model
              </button>
            )}
            {!ready && fetchable && (
              <button type="button" className="primary" disabled={!!busy} onClick={() => setDialog('consent')}>
                Repair
              </button>
            )}
            <button type="button" disabled={!!busy} onClick={() => void verify(id)}>
              {busy === 'verify' ? 'Verifying…' : 'Verify'}
            </button>
            {removable && (
              <button type="button" disabled={!!busy} onClick={() => setDialog('remove')}>
                {busy === 'remove' ? 'Removing…' : 'Remove'}
              </button>
            )}
          </>
        );
      }
    }
  })();

  return (
    <div className="model-actions">
      {buttons}
      {dialog === 'consent' && <ConsentDialog model={model} onClose={close} />}
      {dialog === 'cancel' && (
        <ConfirmDialog
          title={`Cancel the download of ${model.name}?`}
          confirmLabel="Cancel download"
          keepLabel="Keep it"
          onConfirm={() => void cancel(id)}
          onClose={close}
        >
          <p>
            {downloaded ? `The ${downloaded} downloaded so far are deleted.` : 'What was downloaded so far is deleted.'} You
            can start again later.
          </p>
        </ConfirmDialog>
      )}
      {dialog === 'remove' && (
        <ConfirmDialog
          title={`Remove ${model.name}?`}
          confirmLabel="Remove"
          keepLabel="Keep it"
          onConfirm={() => void remove(id)}
          onClose={close}
        >
          <p>
            {model.origin === 'imported'
              ? 'Easel forgets this model. A copy Easel made is deleted; a folder used in place is left as it is.'
              : `Its files (${formatBytes(model.sizeBytes)}) are deleted from this computer. You can download it again later.`}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
