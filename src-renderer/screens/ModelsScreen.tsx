import { useEffect, useRef, useState, type DragEvent } from 'react';
import { Icon } from '../components/Icon';
import { CheckpointImport } from '../components/models/CheckpointImport';
import { ImportPanel } from '../components/models/ImportPanel';
import { ModelCard } from '../components/models/ModelCard';
import { useAppStore } from '../stores/app-store';
import { followImportProgress, useCheckpointImportStore } from '../stores/checkpoint-import-store';
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

/** True while files (not text or a link) are dragged over the page. */
const carriesFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');

/**
 * A checkpoint dropped anywhere on the screen is imported. Entering and leaving child elements fires drag
 * events on each, so a count says when the drag has really left the page.
 */
function useCheckpointDrop() {
  const start = useCheckpointImportStore((state) => state.start);
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  return {
    dragging,
    handlers: {
      onDragEnter: (event: DragEvent) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current += 1;
        setDragging(true);
      },
      onDragOver: (event: DragEvent) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
      },
      onDragLeave: (event: DragEvent) => {
        if (!carriesFiles(event)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDrop: (event: DragEvent) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current = 0;
        setDragging(false);
        for (const file of Array.from(event.dataTransfer.files)) void start(file);
      },
    },
  };
}

export function ModelsScreen() {
  const modelsDir = useAppStore((state) => state.info?.paths.models);
  const load = useModelsStore((state) => state.load);
  const drop = useCheckpointDrop();

  useEffect(() => {
    const stopModels = followModelChanges();
    const stopImports = followImportProgress();
    void load();
    return () => {
      stopModels();
      stopImports();
    };
  }, [load]);

  return (
    <div className="page models-page" {...drop.handlers}>
      {drop.dragging && (
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
