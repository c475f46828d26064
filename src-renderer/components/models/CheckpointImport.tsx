import { useId, useRef } from 'react';
import { formatBytes } from '../../../src-shared/format';
import { type CheckpointImportTask, useCheckpointImportStore } from '../../stores/checkpoint-import-store';
import { useModelsStore } from '../../stores/models-store';
import { Icon } from '../Icon';

/** Share of the bar an upload's receiving takes: the stages after it are known only once the file is read. */
const RECEIVING_SHARE = 0.25;

/**
 * How far along an import is, 0 to 1. An upload fills the first quarter as its bytes arrive and the stages after
 * it share the rest, so the bar never goes back when the full list of stages becomes known.
 */
function fractionDone(task: CheckpointImportTask): number {
  const progress = task.progress;
  if (!progress || progress.stages.length === 0) return 0;
  const receivingFirst = progress.stages[0]?.stage === 'receiving';
  if (!receivingFirst) return progress.index / progress.stages.length;
  if (progress.index === 0) return progress.bytes !== null && progress.totalBytes ? (progress.bytes / progress.totalBytes) * RECEIVING_SHARE : 0;
  return RECEIVING_SHARE + ((1 - RECEIVING_SHARE) * (progress.index - 1)) / (progress.stages.length - 1);
}

/** While the file arrives its stages are not all known yet, so the line says what arrived rather than "step 1 of N". */
function statusLine(task: CheckpointImportTask): string {
  const progress = task.progress;
  const current = progress?.stages[progress.index];
  if (task.state === 'cancelling') return 'Cancelling…';
  if (!progress || !current) return 'Starting…';
  if (current.stage === 'receiving') {
    return progress.bytes !== null && progress.totalBytes ? `${current.label}: ${formatBytes(progress.bytes)} of ${formatBytes(progress.totalBytes)}` : current.label;
  }
  return `Step ${progress.index + 1} of ${progress.stages.length}: ${current.label}`;
}

function StageList({ task }: { task: CheckpointImportTask }) {
  const progress = task.progress;
  if (!progress) return null;
  return (
    <ol className="checkpoint-stages">
      {progress.stages.map((stage, index) => {
        const status = index < progress.index ? 'done' : index === progress.index ? 'current' : 'waiting';
        return (
          <li key={stage.stage} className={`checkpoint-stage checkpoint-stage-${status}`} aria-current={status === 'current' ? 'step' : undefined}>
            <span className="checkpoint-stage-mark" aria-hidden="true" />
            <span>{stage.label}</span>
            <span className="visually-hidden">{status === 'done' ? ' (done)' : status === 'current' ? ' (under way)' : ''}</span>
          </li>
        );
      })}
    </ol>
  );
}

function ImportCard({ task }: { task: CheckpointImportTask }) {
  const { cancel, dismiss } = useCheckpointImportStore.getState();
  const use = useModelsStore((state) => state.use);
  const titleId = useId();
  const running = task.state === 'running' || task.state === 'cancelling';
  const title = {
    running: `Importing ${task.fileName}`,
    cancelling: `Importing ${task.fileName}`,
    done: `Imported ${task.model?.name ?? task.fileName}`,
    failed: `Could not import ${task.fileName}`,
    cancelled: `Import of ${task.fileName} cancelled`,
  }[task.state];

  return (
    <article className={`panel checkpoint-import checkpoint-import-${task.state}`} aria-labelledby={titleId}>
      <header className="checkpoint-import-head">
        <h3 id={titleId}>{title}</h3>
        <span className="models-dim">{formatBytes(task.sizeBytes)}</span>
        {!running && (
          <button type="button" className="checkpoint-import-dismiss" aria-label={`Dismiss: ${title}`} title="Dismiss" onClick={() => dismiss(task.importId)}>
            <Icon name="close" size={16} />
          </button>
        )}
      </header>
      {running && (
        <div className="models-progress">
          <progress aria-label={`Importing ${task.fileName}`} max={1} value={fractionDone(task)} />
          <p className="models-progress-figures" role="status">
            {statusLine(task)}
          </p>
        </div>
      )}
      {running && <StageList task={task} />}
      {task.state === 'done' && task.model && (
        <p className="models-ok" role="status">
          Converted, checked with a test image and added to your models as {task.model.name}.
        </p>
      )}
      {task.state === 'failed' && task.error && (
        <div className="models-problem" role="alert">
          <p>{task.error.message}</p>
          <p className="models-dim">Nothing was kept: your models folder is as it was.</p>
        </div>
      )}
      {task.state === 'cancelled' && (
        <p className="models-note" role="status">
          Nothing was kept.
        </p>
      )}
      {(running || (task.state === 'done' && task.model)) && (
        <div className="model-actions">
          {running && (
            <button type="button" disabled={task.state === 'cancelling'} onClick={() => void cancel(task.importId)}>
              {task.state === 'cancelling' ? 'Cancelling…' : 'Cancel import'}
            </button>
          )}
          {task.state === 'done' && task.model && (
            <button type="button" className="primary" onClick={() => void use(task.model!.id)}>
              Use this model
            </button>
          )}
        </div>
      )}
    </article>
  );
}

/**
 * Single-file `.safetensors` checkpoints (SD 1.x, 2.x, SDXL): chosen with the button or dropped anywhere on the
 * Models screen (ModelsScreen handles the drop). The file goes to the core through the contract's upload
 * channel, so it works the same in the desktop window and in a browser.
 */
export function CheckpointImport() {
  const tasks = useCheckpointImportStore((state) => state.tasks);
  const start = useCheckpointImportStore((state) => state.start);
  const input = useRef<HTMLInputElement>(null);
  const titleId = useId();

  return (
    <section className="panel checkpoint-imports" aria-labelledby={titleId}>
      <div className="checkpoint-imports-intro">
        <Icon name="upload" size={28} />
        <div>
          <h2 id={titleId}>Import a checkpoint</h2>
          <p className="models-dim">
            Drop a single-file <code>.safetensors</code> checkpoint (Stable Diffusion 1.x, 2.x or SDXL) anywhere on this screen. Easel
            converts it on this computer and tests it before listing it.
          </p>
        </div>
        <button type="button" onClick={() => input.current?.click()}>
          Import checkpoint…
        </button>
        <input
          ref={input}
          type="file"
          accept=".safetensors"
          hidden
          aria-label="Checkpoint file"
          onChange={(event) => {
            const file = event.target.files?.[0];
            event.target.value = '';
            if (file) void start(file);
          }}
        />
      </div>
      {tasks.map((task) => (
        <ImportCard key={task.importId} task={task} />
      ))}
    </section>
  );
}
