import { useAppStore } from '../../stores/app-store';
import { chosenModel, useSetupStore } from '../../stores/setup-store';
import { StepFrame } from './StepFrame';

export function DoneStep() {
  const model = useSetupStore(chosenModel);
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
        {model && (
          <li>
            New pictures use <strong>{model.name}</strong>
            {model.state === 'installed' ? '.' : ' once it has finished downloading (see Models).'}
          </li>
        )}
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
