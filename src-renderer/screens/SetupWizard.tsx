import { useEffect } from 'react';
import iconUrl from '../../resources/icon.svg';
import type { SetupStep } from '../../src-preload/api';
import { ErrorBanner } from '../components/ErrorBanner';
import { DoneStep } from '../components/setup/DoneStep';
import { DownloadStep } from '../components/setup/DownloadStep';
import { FirstImageStep } from '../components/setup/FirstImageStep';
import { HardwareStep } from '../components/setup/HardwareStep';
import { ModelStep } from '../components/setup/ModelStep';
import { StepList } from '../components/setup/StepList';
import { WelcomeStep } from '../components/setup/WelcomeStep';
import { followSetupEvents, useSetupStore } from '../stores/setup-store';
import '../styles/setup.css';

const steps: Record<SetupStep, () => React.JSX.Element> = {
  welcome: WelcomeStep,
  hardware: HardwareStep,
  model: ModelStep,
  download: DownloadStep,
  'first-image': FirstImageStep,
  done: DoneStep,
};

/** The first-run wizard: from a fresh install to a first picture, one step at a time, each skippable. */
export function SetupWizard() {
  const step = useSetupStore((state) => state.step);
  const start = useSetupStore((state) => state.start);
  const skipSetup = useSetupStore((state) => state.skipSetup);

  useEffect(() => {
    void start();
    return followSetupEvents();
  }, [start]);

  const Current = steps[step];
  return (
    <div className="setup">
      <header className="setup-header">
        <div className="brand">
          <img src={iconUrl} alt="" width={28} height={28} />
          <span>Easel</span>
        </div>
        <StepList current={step} />
        <button type="button" className="link setup-skip" onClick={() => void skipSetup()}>
          Skip setup
        </button>
      </header>
      <ErrorBanner />
      <main className="setup-body">
        <Current />
      </main>
    </div>
  );
}
