import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema, type SchedulerName } from '../../../src-preload/api';
import { DEMO_MODEL_ID, findCatalogEntry } from '../../../src-main/core/models/catalog';
import { ModelsService } from '../../../src-main/core/models/models-service';
import { createPipeline, type Pipeline } from '../../../src-main/core/pipeline/create';
import type { GenerationModel, GenerationParams } from '../../../src-main/core/pipeline/types';
import { ProviderHealth } from '../../../src-main/core/runtime/fallback';
import { caught } from '../../helpers/errors';
import { useTempDirs } from '../../helpers/temp';
import { repoRoot } from '../../helpers/web-host';
import { readPicture, type Colour, type Shape } from './analyse';

const tempDir = useTempDirs();
let pipeline: Pipeline;
let demo: GenerationModel;
let service: ModelsService;

const scenes: Array<{ colour: Colour; shape: Shape; background: Colour; prompt: string }> = [
  { colour: 'orange', shape: 'star', background: 'green', prompt: 'an orange star on a green background' },
  { colour: 'white', shape: 'star', background: 'blue', prompt: 'a white star on a blue background' },
  { colour: 'red', shape: 'circle', background: 'blue', prompt: 'a red circle on a blue background' },
];
const SEEDS_EACH = 2;

beforeAll(async () => {
  const dir = await tempDir();
  service = new ModelsService({
    modelsDir: async () => path.join(dir, 'models'),
    builtinModelsDir: path.join(repoRoot, 'resources', 'models'),
    settings: async () => settingsSchema.parse({}),
    env: {},
    onChange: () => undefined,
  });
  demo = await service.resolveForGeneration(DEMO_MODEL_ID);
  pipeline = await createPipeline({ providerOrder: () => ['cpu'], health: await ProviderHealth.open(path.join(dir, 'health.json')) });
});
afterAll(async () => {
  await pipeline?.dispose();
});

function params(prompt: string, scheduler: SchedulerName, seed: string): GenerationParams {
  const { defaults } = findCatalogEntry(DEMO_MODEL_ID)!;
  return {
    prompt,
    negativePrompt: '',
    steps: defaults.steps,
    guidance: defaults.guidance,
    width: defaults.width,
    height: defaults.height,
    scheduler,
    seed,
    count: SEEDS_EACH,
    provider: 'cpu',
    decoder: 'full',
    preview: false,
  };
}

describe('the schedulers offered for the built-in demo', () => {
  const offered = findCatalogEntry(DEMO_MODEL_ID)!.schedulers!;

  it('are the ones the Models list gives the Generate form, without PLMS and LMS', async () => {
    const summary = await service.get(DEMO_MODEL_ID);
    expect(summary.schedulers).toEqual(offered);
    expect(summary.schedulers).toContain(summary.defaults.scheduler);
    expect(summary.schedulers).not.toContain('pndm');
    expect(summary.schedulers).not.toContain('lms');
  });

  it.each(offered.map((name) => [name]))('%s draws the prompted colours and shapes at the default steps and guidance', async (scheduler) => {
    const wrong: string[] = [];
    let right = 0;
    for (const [index, scene] of scenes.entries()) {
      const images = await pipeline.generate(params(scene.prompt, scheduler, String(7 + index * SEEDS_EACH)), demo);
      for (const image of images) {
        const reading = readPicture(image.rgb, image.width, image.height);
        if (reading.colour === scene.colour && reading.background === scene.background && reading.shape === scene.shape) right++;
        else wrong.push(`${scene.prompt} (seed ${image.metadata.seed}): ${reading.colour} ${reading.shape} on ${reading.background}`);
      }
    }
    // The demo misreads a shape now and then with every scheduler; broken schedulers get most pictures wrong.
    expect(right, wrong.join('; ')).toBeGreaterThanOrEqual(scenes.length * SEEDS_EACH - 1);
  });

  it.each([
    ['lms', 'LMS'],
    ['pndm', 'PLMS'],
  ] as Array<[SchedulerName, string]>)('refuses %s, naming the field and the schedulers that work', async (scheduler, label) => {
    const error = await caught(pipeline.generate(params('a red circle on a blue background', scheduler, '7'), demo));
    expect(error.code).toBe('invalid_request');
    expect(error.detail).toEqual({ field: 'scheduler', scheduler, schedulers: offered });
    expect(error.message).toContain(`with ${label}`);
    expect(error.message).toContain('Use one of DDIM, Euler, Euler a, Heun, DPM++ 2M, DPM++ 2M Karras, UniPC.');
  });
});
