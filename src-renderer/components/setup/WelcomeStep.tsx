import { useSetupStore } from '../../stores/setup-store';
import { StepFrame } from './StepFrame';

export function WelcomeStep() {
  const next = useSetupStore((state) => state.next);
  return (
    <StepFrame
      title="Welcome to Easel"
      intro="Easel turns a sentence into a picture, right here on this computer. Nothing you type or make is sent anywhere."
      next={{ label: 'Get started', onClick: () => void next() }}
    >
      <ol className="setup-plan">
        <li>
          <strong>Check this computer.</strong> Easel looks at its graphics card and memory and makes a tiny test picture to see
          how fast it is. This takes a few seconds.
        </li>
        <li>
          <strong>Choose a model.</strong> A model is what draws the pictures. Easel suggests one that suits this computer; you
          can also start with the small built-in one.
        </li>
        <li>
          <strong>Make your first picture.</strong> Describe something, and watch it appear.
        </li>
      </ol>
      <p className="setup-muted">You can skip any step, and run this setup again later from Settings.</p>
    </StepFrame>
  );
}
