import { useState } from 'react';
import { builtinModel, chosenModel, useSetupStore } from '../../stores/setup-store';
import { formatSeconds } from '../../../src-shared/format';
import { providerNames } from '../../provider-labels';
import { ErrorNote, StatusMark, StepFrame } from './StepFrame';
import { isFinished } from '../../../src-shared/jobs';

const demoPrompt = 'a red circle on a blue background';
const defaultPrompt = 'a lighthouse on a cliff at sunset, oil painting';

/** Waits for the model list (a wizard restored on this step has just asked for it) before the form. */
export function FirstImageStep() {
  const models = useSetupStore((state) => state.models);
  const { loadModels, back } = useSetupStore.getState();
  if (models.status === 'ready') return <FirstImageForm />;
  return (
    <StepFrame title="Your first picture" back={{ label: 'Back', onClick: () => void back() }}>
      {models.status === 'failed' ? (
        <ErrorNote message={models.error.message} action={{ label: 'Try again', onClick: () => void loadModels() }} />
      ) : (
        <p className="setup-busy" role="status">
          <StatusMark kind="busy" />
          Reading the model list…
        </p>
      )}
    </StepFrame>
  );
}

function FirstImageForm() {
  const model = useSetupStore(chosenModel);
  const demo = useSetupStore(builtinModel);
  const firstImage = useSetupStore((state) => state.firstImage);
  const error = useSetupStore((state) => state.firstImageError);
  const { makeFirstImage, next, back, goTo, switchToDemo } = useSetupStore.getState();
  const [prompt, setPrompt] = useState(model?.family === 'demo' ? demoPrompt : defaultPrompt);

  const job = firstImage?.job ?? null;
  const running = job !== null && !isFinished(job.state) && error === null;
  const item = job?.results[0];
  const progress = job?.progress;

  return (
    <StepFrame
      title="Your first picture"
      intro={model ? `Describe something for ${model.name} to draw.` : undefined}
      back={{ label: 'Back', onClick: () => void back() }}
      secondary={item ? undefined : { label: 'Skip this step', onClick: () => void goTo('done') }}
      // "Make the picture" is the step's primary until there is a picture; then Finish is.
      next={{ label: 'Finish', onClick: () => void next(), disabled: running, primary: item !== undefined || model?.state !== 'installed' }}
    >
      {!model && <ErrorNote message="No model is chosen yet." action={{ label: 'Choose a model', onClick: () => void goTo('model') }} />}
      {model && model.state !== 'installed' && (
        <>
          <ErrorNote
            message={`${model.name} ${model.state === 'failed' ? 'did not download' : 'is not downloaded yet'}, so there is nothing to draw with yet.`}
            action={{ label: 'Go to the download', onClick: () => void goTo('download') }}
          />
          {demo && (
            <p className="setup-muted">
              <button type="button" className="link" onClick={() => void switchToDemo()}>
                Use the built-in demo for now
              </button>{' '}
              — it draws a shape of one colour on another, at once.
            </p>
          )}
        </>
      )}
      {model?.state === 'installed' && (
        <form
          className="setup-prompt"
          onSubmit={(event) => {
            event.preventDefault();
            void makeFirstImage(prompt.trim());
          }}
        >
          <label className="field">
            <span>Describe the picture</span>
            <textarea rows={2} value={prompt} onChange={(event) => setPrompt(event.target.value)} />
          </label>
          <button type="submit" className={item ? undefined : 'primary'} disabled={running || prompt.trim() === ''}>
            {item ? 'Make another' : 'Make the picture'}
          </button>
        </form>
      )}
      {running && (
        <p className="setup-busy" role="status">
          <StatusMark kind="busy" />
          {progress
            ? `Step ${progress.step} of ${progress.totalSteps} on the ${providerNames[progress.provider]}…`
            : 'Getting the model ready…'}
        </p>
      )}
      {error && <ErrorNote message={error.message} action={{ label: 'Try again', onClick: () => void makeFirstImage(prompt.trim()) }} />}
      {item && firstImage?.dataUrl && (
        <figure className="setup-image">
          <img
            src={firstImage.dataUrl}
            alt={item.meta.prompt}
            width={item.width}
            height={item.height}
            className={item.width < 256 ? 'pixelated' : undefined}
          />
          <figcaption>
            {item.meta.placeholder
              ? `Easel could not run the model on this computer, so it drew a labelled placeholder instead. ${item.meta.notes.join(' ')}`
              : `Made by the ${item.meta.provider === 'placeholder' ? 'placeholder' : providerNames[item.meta.provider]} in ${formatSeconds(item.meta.timings.totalMs / 1000)}. It is saved in your gallery.`}
          </figcaption>
        </figure>
      )}
    </StepFrame>
  );
}
