import { useEffect } from 'react';
import type { GpuInfo, ProviderCheck } from '../../../src-preload/api';
import { useSetupStore } from '../../stores/setup-store';
import { formatEstimate } from '../../../src-shared/format';
import { providerNames } from '../../provider-labels';
import { ErrorNote, StatusMark, StepFrame } from './StepFrame';

/**
 * A provider made for hardware this computer does not have (CUDA without an NVIDIA card, Core ML off a
 * Mac) is not a problem to worry about: it is said so, with the runtime's reason kept in the details.
 */
function notApplicable(check: ProviderCheck, gpus: GpuInfo[]): string | null {
  if (check.ok) return null;
  if (check.provider === 'cuda' && !gpus.some((gpu) => gpu.vendor === 'nvidia')) return 'Not needed: this computer has no NVIDIA graphics card.';
  if (check.provider === 'coreml' && !gpus.some((gpu) => gpu.vendor === 'apple')) return 'Not needed: this computer has no Apple GPU.';
  return null;
}

function CheckRow({ check, gpus }: { check: ProviderCheck; gpus: GpuInfo[] }) {
  const unneeded = notApplicable(check, gpus);
  return (
    <li className="setup-check">
      <StatusMark kind={check.ok ? 'ok' : unneeded ? 'none' : 'fail'} />
      <div>
        <strong>{providerNames[check.provider]}</strong>
        <p>{check.ok ? `Works. A test picture took ${formatEstimate(check.secondsPerImage ?? 0).replace('about ', '')}.` : (unneeded ?? check.reason)}</p>
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
            <CheckRow key={check.provider} check={check} gpus={hardware.status === 'ready' ? hardware.value.report.gpus : []} />
          ))}
        </ul>
      )}

      {recommendation.status === 'ready' && (
        <div className="setup-recommendation" role="status">
          <span className="setup-label">Easel suggests</span>
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
