import { describe, expect, it } from 'vitest';
import { providerChoiceOptions } from '../../../src-renderer/provider-labels';

const byChoice = (options: ReturnType<typeof providerChoiceOptions>) => Object.fromEntries(options.map((option) => [option.choice, option]));

describe('Settings → Run models on', () => {
  it('on Linux without a graphics card: DirectML and Core ML cannot be picked; CUDA and WebGPU are marked but can', () => {
    const options = byChoice(providerChoiceOptions('linux', []));
    expect(Object.keys(options)).toEqual(['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu']);
    expect(options.auto).toMatchObject({ label: 'Automatic (best available)', disabled: false, note: null });
    expect(options.cpu).toMatchObject({ label: 'CPU only', disabled: false, note: null });
    expect(options.dml).toMatchObject({ label: 'DirectML (Windows) — not available here', disabled: true });
    expect(options.coreml).toMatchObject({ label: 'Core ML (macOS) — not available here', disabled: true });
    expect(options.dml!.note).toBe('Not available on this computer: DirectML is for Windows only. Easel uses the best provider that works instead.');
    expect(options.cuda).toMatchObject({ label: 'NVIDIA CUDA — no NVIDIA graphics card found', disabled: false });
    expect(options.cuda!.note).toBe(
      'No NVIDIA graphics card found on this computer. Easel tries NVIDIA CUDA first all the same, then the best provider that works.',
    );
    expect(options.webgpu).toMatchObject({ label: 'WebGPU — no graphics card found', disabled: false });
  });

  it('on Windows with an NVIDIA card everything but Core ML may work', () => {
    const options = providerChoiceOptions('win32', [{ vendor: 'nvidia' }]);
    expect(options.filter((option) => option.note !== null).map((option) => option.choice)).toEqual(['coreml']);
    expect(options.find((option) => option.choice === 'cuda')!.label).toBe('NVIDIA CUDA');
  });

  it('on a Mac, before the graphics cards are known, marks only what the system rules out', () => {
    const options = byChoice(providerChoiceOptions('darwin', null));
    expect(options.coreml).toMatchObject({ label: 'Core ML (macOS)', disabled: false, note: null });
    expect(options.dml!.disabled).toBe(true);
    expect(options.cuda!.note).toBeNull();
    expect(options.webgpu!.note).toBeNull();
  });
});
