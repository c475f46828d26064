import { useEffect, useState } from 'react';
import type { ModelEstimate, ModelSummary } from '../../../src-preload/api';
import { useSetupStore } from '../../stores/setup-store';
import { formatBytes, formatEstimate } from '../../../src-shared/format';
import { deviceNames } from '../../provider-labels';
import { ErrorNote, StatusMark, StepFrame } from './StepFrame';

interface Option {
  model: ModelSummary;
  estimate: ModelEstimate | undefined;
}

/** The recommendation's order (recommended first, then what fits, fastest first); imported models after; no upscaler. */
function orderedOptions(models: ModelSummary[], estimates: ModelEstimate[]): Option[] {
  const rank = new Map(estimates.map((estimate, index) => [estimate.modelId, index]));
  return models
    .filter((model) => model.origin !== 'builtin' && model.family !== 'upscaler' && model.family !== 'tiny-decoder')
    .map((model) => ({ model, estimate: estimates.find((estimate) => estimate.modelId === model.id) }))
    .sort((a, b) => (rank.get(a.model.id) ?? Infinity) - (rank.get(b.model.id) ?? Infinity));
}

function facts(option: Option): string[] {
  const { model, estimate } = option;
  const lines = [model.state === 'installed' ? 'Already on this computer' : `${formatBytes(model.sizeBytes)} download`];
  lines.push(`${model.defaults.width}×${model.defaults.height} pictures`);
  if (estimate?.secondsPerImage != null && estimate.provider !== null) {
    lines.push(`${formatEstimate(estimate.secondsPerImage)} per picture on the ${deviceNames[estimate.provider]}`);
  }
  return lines;
}

function ModelOption({ option, recommended, checked, onChoose }: { option: Option; recommended: boolean; checked: boolean; onChoose: () => void }) {
  const { model, estimate } = option;
  const tooBig = estimate !== undefined && !estimate.fits;
  return (
    <label className={`setup-option${checked ? ' checked' : ''}${tooBig ? ' unfit' : ''}`}>
      <input type="radio" name="setup-model" value={model.id} checked={checked} onChange={onChoose} />
      <div>
        <div className="setup-option-title">
          <strong>{model.name}</strong>
          {recommended && <span className="setup-badge">Recommended</span>}
        </div>
        <p>{model.description}</p>
        <p className="setup-option-facts">{facts(option).join(' · ')}</p>
        {estimate?.note && <p className={tooBig ? 'setup-warning' : 'setup-muted'}>{estimate.note}</p>}
      </div>
    </label>
  );
}

function ImportFolder() {
  const importFolder = useSetupStore((state) => state.importFolder);
  const busy = useSetupStore((state) => state.busy);
  const [path, setPath] = useState('');
  return (
    <details className="setup-details">
      <summary>Use a model folder you already have</summary>
      <p className="setup-muted">A Stable Diffusion model in the ONNX format (a folder with unet, text_encoder and vae_decoder inside).</p>
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          void importFolder(path.trim()).then((ok) => ok && setPath(''));
        }}
      >
        <input aria-label="Model folder" placeholder="/path/to/model" value={path} onChange={(event) => setPath(event.target.value)} />
        <button type="submit" disabled={busy || path.trim() === ''}>
          Add folder
        </button>
      </form>
    </details>
  );
}

export function ModelStep() {
  const models = useSetupStore((state) => state.models);
  const recommendation = useSetupStore((state) => state.recommendation);
  const hardware = useSetupStore((state) => state.hardware);
  const chosenId = useSetupStore((state) => state.chosenId);
  const actionError = useSetupStore((state) => state.actionError);
  const { loadModels, testHardware, choose, next, back } = useSetupStore.getState();

  useEffect(() => {
    void loadModels();
    if (useSetupStore.getState().recommendation.status === 'idle') void testHardware();
  }, [loadModels, testHardware]);

  const estimates = recommendation.status === 'ready' ? recommendation.value.estimates : [];
  const recommendedId = recommendation.status === 'ready' ? recommendation.value.modelId : null;
  const all = models.status === 'ready' ? models.value : [];
  const options = orderedOptions(all, estimates);
  const demo = all.find((model) => model.origin === 'builtin' && model.state === 'installed');
  const disk = hardware.status === 'ready' ? hardware.value.report.disk : null;

  return (
    <StepFrame
      title="Choose a model"
      intro="A model is what draws the pictures. Bigger models draw better pictures but need a faster computer and a bigger download."
      back={{ label: 'Back', onClick: () => void back() }}
      next={{ label: 'Continue', onClick: () => void next(), disabled: chosenId === null }}
    >
      {disk && (
        <p className="setup-muted">
          {formatBytes(disk.freeBytes)} free for models in <code>{disk.path}</code>
        </p>
      )}
      {(models.status === 'loading' || recommendation.status === 'loading') && (
        <p className="setup-busy" role="status">
          <StatusMark kind="busy" /> Working out what suits this computer…
        </p>
      )}
      {models.status === 'failed' && <ErrorNote message={models.error.message} action={{ label: 'Try again', onClick: () => void loadModels() }} />}
      <fieldset className="setup-options">
        <legend className="sr-only">Model</legend>
        {options.map((option) => (
          <ModelOption
            key={option.model.id}
            option={option}
            recommended={option.model.id === recommendedId}
            checked={option.model.id === chosenId}
            onChoose={() => void choose(option.model.id)}
          />
        ))}
        <label className={`setup-option${demo && demo.id === chosenId ? ' checked' : ''}${demo ? '' : ' unfit'}`}>
          <input
            type="radio"
            name="setup-model"
            value="builtin-demo"
            disabled={!demo}
            checked={demo !== undefined && demo.id === chosenId}
            onChange={() => demo && void choose(demo.id)}
          />
          <div>
            <div className="setup-option-title">
              <strong>Use the built-in demo for now</strong>
              {demo && demo.id === recommendedId && <span className="setup-badge">Recommended</span>}
            </div>
            <p>
              {demo
                ? 'No download. Small 64×64 pictures of simple shapes: enough to try Easel out. You can get a bigger model later from Models.'
                : 'The built-in demo is not part of this copy of Easel. Choose a model above.'}
            </p>
          </div>
        </label>
      </fieldset>
      <ImportFolder />
      {actionError && <ErrorNote message={actionError.message} />}
    </StepFrame>
  );
}
