import { useAppStore } from '../../stores/app-store';
import type { ModelSummary } from '../../../src-preload/api';
import { builtinModel, chosenModel, useSetupStore } from '../../stores/setup-store';
import { StepFrame } from './StepFrame';

export function DoneStep() {
  const model = useSetupStore(chosenModel);
  const demo = useSetupStore(builtinModel);
  const info = useAppStore((state) => state.info);
  const { finish, back } = useSetupStore.getState();
  return (
    <StepFrame
      title="You're all set"
      intro="Easel is ready to use."
      back={{ label: 'Back', onClick: () => void back() }}
      next={{ label: 'Start creating', onClick: () => void finish() }}
    >
      <ul className="setup-facts">
        {model && <li>{modelLine(model, demo)}</li>}
        {info && (
          <li>
            Pictures are saved in <code>{info.paths.gallery}</code>.
          </li>
        )}
        <li>Other models are on the Models screen; this setup can be run again from Settings.</li>
      </ul>
    </StepFrame>
  );
}

/** Only what is true now: a failed or skipped download is said as such, with what is used meanwhile. */
function modelLine(model: ModelSummary, demo: ModelSummary | null) {
  const meanwhile = demo ? ` Until then, new pictures use ${demo.name}.` : '';
  if (model.state === 'installed') {
    return (
      <>
        New pictures use <strong>{model.name}</strong>.
      </>
    );
  }
  if (model.state === 'downloading') {
    return (
      <>
        <strong>{model.name}</strong> is downloading; new pictures use it once it has finished (see Models).{meanwhile}
      </>
    );
  }
  const why = model.state === 'failed' ? 'did not download' : model.state === 'paused' ? 'is paused part-way' : 'is not downloaded';
  return (
    <>
      <strong>{model.name}</strong> {why}: download it from the Models screen.{meanwhile}
    </>
  );
}
