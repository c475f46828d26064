import { useEffect, useState } from 'react';
import { Icon } from '../components/Icon';
import { CheckpointImport } from '../components/models/CheckpointImport';
import { ImportPanel } from '../components/models/ImportPanel';
import { ModelCard } from '../components/models/ModelCard';
import { useAppStore } from '../stores/app-store';
import { useCheckpointImportStore } from '../stores/checkpoint-import-store';
import { useGenerateStore } from '../stores/generate-store';
import { followModelChanges, inUseFirst, modelInUse, useModelsStore } from '../stores/models-store';
import '../styles/models.css';

function ModelList() {
  const models = useModelsStore((state) => state.models);
  const status = useModelsStore((state) => state.status);
  const loadError = useModelsStore((state) => state.loadError);
  const load = useModelsStore((state) => state.load);
  const generateChoice = useGenerateStore((state) => (state.modelsLoaded ? state.modelId : null));
  const remembered = useAppStore((state) => state.settings?.lastModelId ?? null);
  const inUseId = modelInUse(models, generateChoice ?? remembered);

  if (status === 'failed' && loadError) {
    return (
      <div className="panel models-problem" role="alert">
        <p>Easel could not list its models: {loadError.message}</p>
        <button type="button" onClick={() => void load()}>
          Try again
        </button>
      </div>
    );
  }
  if (status === 'loading' && models.length === 0) {
    return (
      <p className="models-dim" role="status">
        Loading models…
      </p>
    );
  }
  if (models.length === 0) {
    return (
      <div className="empty-state">
        <Icon name="models" size={40} />
        <h2>No models yet</h2>
        <p>Import a model folder below.</p>
      </div>
    );
  }
  return (
    <div className="model-list">
      {inUseFirst(models, inUseId).map((model) => (
        <ModelCard key={model.id} model={model} inUse={model.id === inUseId} />
      ))}
    </div>
  );
}

/** True while files (not text or a link) are dragged. */
const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') === true;

/**
 * While the Models screen shows, a checkpoint dropped anywhere in the window is imported (and a file dropped
 * beside the page, on the sidebar, is not opened by the browser in Easel's place). Entering and leaving child
 * elements fires drag events on each, so a count says when the drag has really left the window.
 */
function useCheckpointDrop(): boolean {
  const start = useCheckpointImportStore((state) => state.start);
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const enter = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth += 1;
      setDragging(true);
    };
    const over = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const leave = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      for (const file of Array.from(event.dataTransfer?.files ?? [])) void start(file);
    };
    const listeners = { dragenter: enter, dragover: over, dragleave: leave, drop } as const;
    for (const [name, listener] of Object.entries(listeners)) window.addEventListener(name, listener as EventListener);
    return () => {
      for (const [name, listener] of Object.entries(listeners)) window.removeEventListener(name, listener as EventListener);
    };
  }, [start]);
  return dragging;
}

export function ModelsScreen() {
  const modelsDir = useAppStore((state) => state.info?.paths.models);
  const load = useModelsStore((state) => state.load);
  const dragging = useCheckpointDrop();

  useEffect(() => {
    const stop = followModelChanges();
    void load();
    return stop;
  }, [load]);

  return (
    <div className="page models-page">
      {dragging && (
        <div className="checkpoint-drop-overlay" aria-hidden="true">
          <Icon name="upload" size={40} />
          <p>Drop a .safetensors checkpoint to import it</p>
        </div>
      )}
      <header className="page-header">
        <h1>Models</h1>
        {modelsDir && (
          <p className="models-dim models-folder">
            Stored in <code>{modelsDir}</code>
          </p>
        )}
      </header>
      <CheckpointImport />
      <ModelList />
      <ImportPanel />
    </div>
  );
}
