import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSummary, ModelSummary } from '../../../src-preload/api';
import { Easel } from '../../../src-main/core/easel';
import { createDispatcher } from '../../../src-main/hosts/dispatch';
import { createHandlers } from '../../../src-main/hosts/handlers';
import { writeTinyCheckpoint } from '../../fixtures/checkpoints';
import { useTempDirs } from '../../helpers/temp';
import { testPaths } from '../../helpers/web-host';
import { finishedJob } from '../../helpers/jobs';

const tempDir = useTempDirs();
let easel: Easel | undefined;
afterEach(async () => {
  await easel?.shutdown();
  easel = undefined;
});

describe('models.import with a .safetensors checkpoint, in the app', () => {
  it('converts and announces the model, keeps no optimised graphs of the staging folder, and the model generates', async () => {
    const dataDir = await tempDir();
    easel = new Easel({ paths: testPaths(dataDir), host: 'web', version: '0.0.0-test', env: {} });
    const announced: ModelSummary[] = [];
    easel.events.subscribe((event, payload) => {
      if (event === 'models.changed') announced.push(payload as ModelSummary);
    });
    const dispatch = createDispatcher(createHandlers(easel));
    const file = path.join(dataDir, 'night-owl-v3.safetensors');
    await writeTinyCheckpoint(file, 'sd1');

    const imported = await dispatch('models.import', { path: file, name: 'Night Owl' });
    expect(imported).toMatchObject({ ok: true, value: { id: 'night-owl', name: 'Night Owl', origin: 'imported', state: 'installed', family: 'sd15' } });
    expect(announced.map((model) => model.id)).toContain('night-owl');
    const optimized = path.join(dataDir, 'optimized-models');
    // The test image ran on CPU, whose optimised graphs the app keeps for its models, but not for a staging folder.
    expect(await readdir(optimized).catch(() => [])).toEqual([]);

    const queued = await dispatch('jobs.enqueue', {
      modelId: 'night-owl',
      prompt: 'an owl at night',
      steps: 2,
      guidance: 5,
      width: 64,
      height: 64,
      scheduler: 'euler',
      seed: '8',
      provider: 'cpu',
    });
    if (!queued.ok) throw new Error(queued.error.message);
    expect(await finishedJob(dispatch, (queued.value as JobSummary).id)).toMatchObject({ state: 'done' });
    expect((await readdir(optimized)).length).toBeGreaterThan(0);
  }, 120_000);
});
