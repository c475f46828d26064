import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModel } from '../../fixtures/models';
import { type Harness, makeHarness, smallRequest } from './pipeline-harness';

let harness: Harness;
let scratch: string;
beforeAll(async () => {
  harness = await makeHarness(['cpu']);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'easel-errors-'));
});
afterAll(async () => {
  await harness.dispose();
  await rm(scratch, { recursive: true, force: true });
});

describe('bad models', () => {
  it('reports a folder that does not exist', async () => {
    await expect(harness.generate(smallRequest(path.join(scratch, 'missing')))).rejects.toMatchObject({
      code: 'model_invalid',
    });
  });

  it('refuses a model folder holding a pickle, before loading anything', async () => {
    const dir = path.join(scratch, 'pickle');
    await cp(await fixtureModel('sd15-optimum'), dir, { recursive: true });
    await writeFile(path.join(dir, 'model.ckpt'), 'pickle');
    await expect(harness.generate(smallRequest(dir))).rejects.toMatchObject({ code: 'model_unsafe' });
    expect(harness.created.filter((session) => session.modelPath.startsWith(dir))).toHaveLength(0);
  });

  it('checks the folder again on every request', async () => {
    const dir = path.join(scratch, 'later-pickle');
    await cp(await fixtureModel('sd15-optimum'), dir, { recursive: true });
    const [image] = await harness.generate(smallRequest(dir));
    expect(image!.metadata.provider).toBe('cpu');
    await writeFile(path.join(dir, 'unet', 'model.pt'), 'pickle');
    await expect(harness.generate(smallRequest(dir))).rejects.toMatchObject({ code: 'model_unsafe' });
  });

  it('reports a broken UNet file as an invalid model, not as a provider failure', async () => {
    const dir = path.join(scratch, 'broken');
    await cp(await fixtureModel('sd15-optimum'), dir, { recursive: true });
    await writeFile(path.join(dir, 'unet', 'model.onnx'), 'this is not ONNX');
    await expect(harness.generate(smallRequest(dir))).rejects.toMatchObject({ code: 'model_invalid' });
    expect(harness.health.badProviders(dir)).toEqual([]);
  });
});
