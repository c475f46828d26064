import { describe, expect, it } from 'vitest';
import { notAvailableHere, unavailability } from '../../../src-shared/providers';

describe('notAvailableHere', () => {
  it('says which providers cannot apply on a Linux computer without a graphics card', () => {
    const machine = { platform: 'linux', gpus: [] };
    expect(notAvailableHere('cpu', machine)).toBeNull();
    expect(notAvailableHere('cuda', machine)).toMatch(/NVIDIA/);
    expect(notAvailableHere('dml', machine)).toMatch(/Windows/);
    expect(notAvailableHere('coreml', machine)).toMatch(/Macs/);
    expect(notAvailableHere('webgpu', machine)).toMatch(/no graphics card/);
  });

  it('leaves every provider the machine could run to its own test', () => {
    expect(notAvailableHere('cuda', { platform: 'win32', gpus: [{ vendor: 'nvidia' }] })).toBeNull();
    expect(notAvailableHere('dml', { platform: 'win32', gpus: [{ vendor: 'amd' }] })).toBeNull();
    expect(notAvailableHere('webgpu', { platform: 'linux', gpus: [{ vendor: 'intel' }] })).toBeNull();
    expect(notAvailableHere('coreml', { platform: 'darwin', gpus: [{ vendor: 'apple' }] })).toBeNull();
    // An AMD card does not make CUDA apply.
    expect(notAvailableHere('cuda', { platform: 'linux', gpus: [{ vendor: 'amd' }] })).not.toBeNull();
  });
});

describe('unavailability', () => {
  it('tells what the system rules out from what rests on the graphics cards found', () => {
    const machine = { platform: 'linux', gpus: [] };
    expect(unavailability('dml', machine)).toEqual({ kind: 'system', reason: 'DirectML is for Windows only' });
    expect(unavailability('coreml', machine)).toMatchObject({ kind: 'system' });
    expect(unavailability('cuda', machine)).toMatchObject({ kind: 'hardware', missing: 'no NVIDIA graphics card found' });
    expect(unavailability('webgpu', machine)).toMatchObject({ kind: 'hardware', missing: 'no graphics card found' });
  });

  it('rules out nothing by the graphics cards before they are known', () => {
    const machine = { platform: 'linux', gpus: null };
    expect(unavailability('cuda', machine)).toBeNull();
    expect(unavailability('webgpu', machine)).toBeNull();
    expect(unavailability('dml', machine)).toMatchObject({ kind: 'system' });
  });
});
