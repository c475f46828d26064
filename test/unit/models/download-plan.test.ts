import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { localPathFor } from '../../../src-main/core/models/download-plan';
import { sha256 } from '../../fixtures/hub/fake-hub';
import { FILES, useHubSession } from './hub-session';

const session = useHubSession();

describe('planning a download', () => {
  it('counts exact sizes from the hub and the partial bytes worth resuming', async () => {
    const target = path.join(session.dir, 'tiny', 'unet', 'weights.pb');
    const content = FILES[2]!.content;
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(`${target}.partial`, content.subarray(0, 10_000));
    await fsp.writeFile(`${target}.partial.json`, JSON.stringify({ url: 'x', bytes: 10_000, expectedSha256: sha256(content), updatedAt: '' }));

    const plan = await session.downloader().plan(session.request());
    const total = FILES.reduce((sum, file) => sum + file.content.length, 0);
    expect(plan.totalBytes).toBe(total);
    expect(plan.remainingBytes).toBe(total - 10_000);
    expect(plan.files.find((file) => file.path === 'unet/weights.pb')).toEqual({
      path: 'unet/weights.pb',
      bytes: content.length,
      sha256: sha256(content),
      presentBytes: 10_000,
      complete: false,
    });
    expect(session.hub.cdnRequests()).toEqual([]);
  });

  it('refuses repository paths that would land outside the model folder', () => {
    const folder = path.join(session.dir, 'tiny');
    expect(localPathFor(folder, 'unet/model.onnx')).toBe(path.join(folder, 'unet', 'model.onnx'));
    for (const unsafe of ['../outside.onnx', 'unet/../../outside.onnx', 'unet\\model.onnx', '']) {
      expect(() => localPathFor(folder, unsafe)).toThrow(EaselError);
    }
  });
});
