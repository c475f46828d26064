import { useEffect } from 'react';
import { Icon } from '../components/Icon';
import { ImportPanel } from '../components/models/ImportPanel';
import { ModelCard } from '../components/models/ModelCard';
import { useAppStore } from '../stores/app-store';
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

export function ModelsScreen() {
  const modelsDir = useAppStore((state) => state.info?.paths.models);
  const load = useModelsStore((state) => state.load);

  useEffect(() => {
    const stop = followModelChanges();
    void load();
    return stop;
  }, [load]);

  return (
    <div className="page models-page">
      <header className="page-header">
        <h1>Models</h1>
        {modelsDir && (
          <p className="models-dim models-folder">
            Stored in <code>{modelsDir}</code>
          </p>
        )}
      </header>
      <ModelList />
      <ImportPanel />
    </div>
  );
}
