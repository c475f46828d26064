import { useEffect } from 'react';
import type { ProviderCheck } from '../../../src-preload/api';
import { notAvailableHere, type Machine } from '../../../src-shared/providers';
import { useSetupStore } from '../../stores/setup-store';
import { formatEstimate } from '../../../src-shared/format';
import { providerNames } from '../../provider-labels';
import { ErrorNote, StatusMark, StepFrame } from './StepFrame';

interface CheckRowProps {
  check: ProviderCheck;
  machine: Machine | null;
  /** What the test picture was: "a 64×64 picture with Easel Demo (built-in)". */
  testPicture: string;
}

/**
 * A provider made for hardware or a system this computer does not have is not a failure: it is said so
 * neutrally, with the runtime's words kept in the technical details.
 */
function CheckRow({ check, machine, testPicture }: CheckRowProps) {
  const elsewhere = check.ok || !machine ? null : notAvailableHere(check.provider, machine);
  const seconds = formatEstimate(check.secondsPerImage ?? 0).replace('about ', '');
  return (
    <li className="setup-check">
      <StatusMark kind={check.ok ? 'ok' : elsewhere ? 'none' : 'fail'} />
      <div>
        <strong>{providerNames[check.provider]}</strong>
        <p>
          {check.ok
            ? `Works: ${testPicture} took ${seconds}.`
            : elsewhere
              ? `Not available on this computer: ${elsewhere}.`
              : check.reason}
        </p>
      </div>
    </li>
  );
}

export function HardwareStep() {
  const hardware = useSetupStore((state) => state.hardware);
  const selfTest = useSetupStore((state) => state.selfTest);
  const recommendation = useSetupStore((state) => state.recommendation);
  const testHardware = useSetupStore((state) => state.testHardware);
  const next = useSetupStore((state) => state.next);
  const back = useSetupStore((state) => state.back);

  useEffect(() => {
    if (useSetupStore.getState().hardware.status === 'idle') void testHardware();
  }, [testHardware]);

  const testing = selfTest.status === 'loading' || hardware.status === 'loading';
  const summary = hardware.status === 'ready' ? hardware.value.summary : [];
  const plain = summary.filter((line) => !line.startsWith('Checks that did not work'));
  const technical = [
    ...summary.filter((line) => line.startsWith('Checks that did not work')),
    ...(selfTest.status === 'ready' ? selfTest.value.checks.flatMap((check) => (check.technicalReason ? [`${check.provider}: ${check.technicalReason}`] : [])) : []),
  ];

  const machine: Machine | null =
    hardware.status === 'ready' ? { platform: hardware.value.report.os.platform, gpus: hardware.value.report.gpus } : null;
  const tested = selfTest.status === 'ready' ? selfTest.value.model : null;
  const testPicture = tested ? `a ${tested.width}×${tested.height} test picture with ${tested.name}` : 'a test picture';

  return (
    <StepFrame
      title="Your computer"
      intro="What Easel found, and how well this computer makes pictures."
      back={{ label: 'Back', onClick: () => void back() }}
      secondary={{ label: 'Test again', onClick: () => void testHardware(true), disabled: testing }}
      next={{ label: 'Choose a model', onClick: () => void next() }}
    >
      <h2>What Easel found</h2>
      {hardware.status === 'loading' && (
        <p className="setup-busy">
          <StatusMark kind="busy" /> Looking at this computer…
        </p>
      )}
      {hardware.status === 'failed' && <ErrorNote message={hardware.error.message} action={{ label: 'Try again', onClick: () => void testHardware(true) }} />}
      {plain.length > 0 && (
        <ul className="setup-facts">
          {plain.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}

      <h2>Test picture</h2>
      {selfTest.status === 'ready' && selfTest.value.model && (
        <p className="setup-muted">
          Each part of this computer that can draw made {testPicture}. The times below are for that picture only; the
          suggestion after them estimates the model it names.
        </p>
      )}
      {selfTest.status === 'loading' && (
        <p className="setup-busy" role="status">
          <StatusMark kind="busy" /> Making a test picture with each part of this computer that can draw… This takes a few seconds.
        </p>
      )}
      {selfTest.status === 'failed' && <ErrorNote message={selfTest.error.message} action={{ label: 'Try again', onClick: () => void testHardware(true) }} />}
      {selfTest.status === 'ready' && selfTest.value.skipped && <p className="setup-muted">{selfTest.value.skipped}</p>}
      {selfTest.status === 'ready' && (
        <ul className="setup-checks">
          {selfTest.value.checks.map((check) => (
            <CheckRow key={check.provider} check={check} machine={machine} testPicture={testPicture} />
          ))}
        </ul>
      )}

      {recommendation.status === 'ready' && (
        <div className="setup-recommendation" role="status">
          <span className="setup-label">Easel suggests, for real pictures</span>
          <p>{recommendation.value.summary}</p>
        </div>
      )}
      {recommendation.status === 'failed' && <ErrorNote message={recommendation.error.message} />}

      {technical.length > 0 && (
        <details className="setup-details">
          <summary>Technical details</summary>
          <ul>
            {technical.map((line) => (
              <li key={line}>
                <code>{line}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
    </StepFrame>
  );
}
