import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedImage } from '../../../src-main/core/generated-image';
import { DEMO_MODEL_ID, findCatalogEntry } from '../../../src-main/core/models/catalog';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { createPipeline, type Pipeline } from '../../../src-main/core/pipeline/create';
import type { GenerationParams } from '../../../src-main/core/pipeline/types';
import { ProviderHealth } from '../../../src-main/core/runtime/fallback';
import { useTempDirs } from '../../helpers/temp';
import { repoRoot } from '../../helpers/web-host';
import { drawScene, readPicture, type Colour, type Shape } from './analyse';

const demoDir = path.join(repoRoot, 'resources', 'models', DEMO_MODEL_ID);

interface Scene {
  colour: Colour;
  shape: Shape;
  background: Colour;
  prompt: string;
}

/** Seen in training, in several of the caption forms people type. */
const seenScenes: Scene[] = [
  { colour: 'blue', shape: 'circle', background: 'yellow', prompt: 'a blue circle on a yellow background' },
  { colour: 'red', shape: 'square', background: 'white', prompt: 'red square, white background' },
  { colour: 'green', shape: 'triangle', background: 'black', prompt: 'a black background with a green triangle' },
  { colour: 'white', shape: 'star', background: 'blue', prompt: 'a white star on a blue background' },
  { colour: 'yellow', shape: 'square', background: 'red', prompt: 'a yellow square on a red background' },
  { colour: 'black', shape: 'circle', background: 'white', prompt: 'a black circle on a white background' },
  { colour: 'purple', shape: 'triangle', background: 'yellow', prompt: 'a purple triangle on a yellow background' },
  { colour: 'orange', shape: 'star', background: 'green', prompt: 'an orange star on a green background' },
];

const tempDir = useTempDirs();
let pipeline: Pipeline | undefined;
let heldOut: Scene[];

beforeAll(async () => {
  const file = JSON.parse(await readFile(path.join(repoRoot, 'tools', 'demo-model', 'heldout.json'), 'utf8')) as {
    combinations: Scene[];
  };
  heldOut = file.combinations;
});
afterAll(async () => {
  await pipeline?.dispose();
});

async function generate(prompt: string, options: { seed: string; count: number; guidance?: number }): Promise<GeneratedImage[]> {
  pipeline ??= await createPipeline({
    providerOrder: () => ['cpu'],
    health: await ProviderHealth.open(path.join(await tempDir(), 'health.json')),
  });
  const defaults = findCatalogEntry(DEMO_MODEL_ID)!.defaults;
  const folder = await readModelFolder(demoDir);
  const params: GenerationParams = {
    prompt,
    negativePrompt: '',
    steps: defaults.steps,
    guidance: options.guidance ?? defaults.guidance,
    width: defaults.width,
    height: defaults.height,
    scheduler: defaults.scheduler,
    seed: options.seed,
    count: options.count,
    provider: 'cpu',
    preview: false,
        decoder: 'full',
  };
  return pipeline.generate(params, { id: DEMO_MODEL_ID, name: folder.name, folder });
}

interface Score {
  colours: number;
  shapes: number;
  total: number;
}

async function score(scenes: Scene[], seedsEach: number, guidance?: number): Promise<Score> {
  const result: Score = { colours: 0, shapes: 0, total: 0 };
  for (const [index, scene] of scenes.entries()) {
    const images = await generate(scene.prompt, { seed: String(1000 + index * 10), count: seedsEach, ...(guidance === undefined ? {} : { guidance }) });
    for (const image of images) {
      const reading = readPicture(image.rgb, image.width, image.height);
      result.total++;
      if (reading.colour === scene.colour && reading.background === scene.background) result.colours++;
      if (reading.shape === scene.shape) result.shapes++;
    }
  }
  return result;
}

describe('the picture reader used to judge the demo model', () => {
  it.each([
    ['red', 'circle', 'blue'],
    ['green', 'square', 'yellow'],
    ['blue', 'triangle', 'white'],
    ['yellow', 'star', 'purple'],
  ] as Array<[Colour, Shape, Colour]>)('reads a drawn %s %s on %s', (colour, shape, background) => {
    expect(readPicture(drawScene(colour, shape, background), 64, 64)).toMatchObject({ colour, shape, background });
  });
});

describe('the built-in demo model through the app’s pipeline', () => {
  it('draws the right colours in at least 90% and the right shape in at least 80% of pictures, held-out combinations included', async () => {
    const heldOutScore = await score(heldOut, 4);
    const seenScore = await score(seenScenes, 4);
    const all = { colours: heldOutScore.colours + seenScore.colours, shapes: heldOutScore.shapes + seenScore.shapes, total: heldOutScore.total + seenScore.total };
    console.log(`demo model: held out ${JSON.stringify(heldOutScore)}, seen ${JSON.stringify(seenScore)}`);
    expect(all.colours / all.total).toBeGreaterThanOrEqual(0.9);
    expect(all.shapes / all.total).toBeGreaterThanOrEqual(0.8);
  });

  it('gives the same picture for the same seed, and moves or resizes the shape for another', async () => {
    const [first] = await generate('a green circle on a black background', { seed: '5', count: 1 });
    const [again] = await generate('a green circle on a black background', { seed: '5', count: 1 });
    expect(Buffer.from(again!.rgb).equals(Buffer.from(first!.rgb))).toBe(true);

    const boxes = (await generate('a green circle on a black background', { seed: '6', count: 6 })).map(
      (image) => readPicture(image.rgb, image.width, image.height).box,
    );
    const distinct = new Set(boxes.map((box) => JSON.stringify(box)));
    expect(distinct.size).toBeGreaterThanOrEqual(4);
  });

  it('follows the prompt measurably better with guidance 5 than with guidance 1', async () => {
    const scenes = [...heldOut.slice(0, 4), ...seenScenes.slice(0, 4)];
    const guided = await score(scenes, 2, 5);
    const unguided = await score(scenes, 2, 1);
    console.log(`guidance 5: ${JSON.stringify(guided)}, guidance 1: ${JSON.stringify(unguided)}`);
    expect(guided.colours + guided.shapes).toBeGreaterThan(unguided.colours + unguided.shapes);
  });
});
