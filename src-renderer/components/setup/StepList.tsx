import { setupSteps, type SetupStep } from '../../../src-preload/api';

const labels: Record<SetupStep, string> = {
  welcome: 'Welcome',
  hardware: 'Your computer',
  model: 'Choose a model',
  download: 'Download',
  'first-image': 'First image',
  done: 'Done',
};

/** Where the person is in the wizard; steps already passed are marked done. */
export function StepList({ current }: { current: SetupStep }) {
  const index = setupSteps.indexOf(current);
  return (
    <ol className="setup-steps" aria-label="Setup steps">
      {setupSteps.map((step, i) => (
        <li key={step} className={i < index ? 'done' : i === index ? 'current' : undefined} aria-current={i === index ? 'step' : undefined}>
          <span className="setup-step-number" aria-hidden="true">
            {i + 1}
          </span>
          {labels[step]}
        </li>
      ))}
    </ol>
  );
}
