import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  OPTIMIZED_MODEL_FILE,
  forgetOptimizedModels,
  optimizedModelEntry,
  pruneOptimizedModels,
} from '../../../src-main/core/runtime/optimized-models';
import { type HostTensor, OnnxSession } from '../../../src-main/core/runtime/session';
import { fixtureModel } from '../../fixtures/models';

const temp = mkdtempSync(path.join(os.tmpdir(), 'easel-optimized-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A private copy of a fixture UNet (graph + external weights), so tests may touch its files. */
async function unetCopy(name: string): Promise<string> {
  const dir = path.join(temp, name, 'unet');
  cpSync(path.join(await fixtureModel('sd15-optimum'), 'unet'), dir, { recursive: true });
  return path.join(dir, 'model.onnx');
}

const feeds: Record<string, HostTensor> = {
  sample: { data: Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i)), dims: [2, 4, 8, 8] },
  timestep: { data: Float32Array.of(500), dims: [] },
  encoder_hidden_states: { data: Float32Array.from({ length: 2 * 77 * 768 }, (_, i) => Math.cos(i * 0.01)), dims: [2, 77, 768] },
};

async function startAndRun(modelPath: string, cacheDir: string): Promise<{ startedFrom: string; out: Float32Array }> {
  const session = await OnnxSession.create(modelPath, 'cpu', { optimizedModelDir: cacheDir });
  try {
    const out = (await session.run(feeds, ['out_sample'])).out_sample!.data as Float32Array;
    return { startedFrom: session.startedFrom, out };
  } finally {
    await session.release();
  }
}

describe('optimised graphs kept between starts', () => {
  it('keeps the optimised graph on the first start and opens it on the second, with the same results', async () => {
    const model = await unetCopy('same');
    const cache = path.join(temp, 'cache-same');
    const first = await startAndRun(model, cache);
    const second = await startAndRun(model, cache);
    expect(first.startedFrom).toBe('model');
    expect(second.startedFrom).toBe('optimized');
    expect(Array.from(second.out)).toEqual(Array.from(first.out));
    const [entry] = readdirSync(cache);
    expect(readdirSync(path.join(cache, entry!)).sort()).toEqual(['model.onnx', 'model.onnx_data', 'stamp.json']);
  });

  it('makes it again when the model changes', async () => {
    const model = await unetCopy('changed');
    const cache = path.join(temp, 'cache-changed');
    await startAndRun(model, cache);
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(path.dirname(model), 'model.onnx_data'), later, later);
    expect((await startAndRun(model, cache)).startedFrom).toBe('model');
    expect((await startAndRun(model, cache)).startedFrom).toBe('optimized');
  });

  it('is stale for another ONNX Runtime version or provider', async () => {
    const model = await unetCopy('version');
    const cache = path.join(temp, 'cache-version');
    const made = await optimizedModelEntry(cache, model, 'cpu', '1.30.0');
    writeFileSync(made.staging!, 'graph');
    await made.commit();
    expect((await optimizedModelEntry(cache, model, 'cpu', '1.30.0')).ready).toMatch(new RegExp(`${OPTIMIZED_MODEL_FILE}$`));
    expect((await optimizedModelEntry(cache, model, 'cpu', '1.31.0')).ready).toBeNull();
    expect((await optimizedModelEntry(cache, model, 'cuda', '1.30.0')).ready).toBeNull();
  });

  it('opens the model itself, and keeps a fresh graph, when the kept one does not open', async () => {
    const model = await unetCopy('corrupt');
    const cache = path.join(temp, 'cache-corrupt');
    const first = await startAndRun(model, cache);
    const [entry] = readdirSync(cache);
    writeFileSync(path.join(cache, entry!, OPTIMIZED_MODEL_FILE), 'not a graph');
    const recovered = await startAndRun(model, cache);
    expect(recovered.startedFrom).toBe('model');
    expect(Array.from(recovered.out)).toEqual(Array.from(first.out));
    expect((await startAndRun(model, cache)).startedFrom).toBe('optimized');
  });
});

/** Keeps a stand-in optimised graph of `bytes` bytes for `modelPath`, as a start would, and returns its folder. */
async function keepGraph(cache: string, modelPath: string, bytes: number, runtimeVersion = '1.30.0'): Promise<string> {
  const entry = await optimizedModelEntry(cache, modelPath, 'cpu', runtimeVersion);
  writeFileSync(entry.staging!, Buffer.alloc(bytes));
  await entry.commit();
  const ready = (await optimizedModelEntry(cache, modelPath, 'cpu', runtimeVersion)).ready;
  expect(ready).not.toBeNull();
  return path.dirname(ready!);
}

/** A model folder with a one-file UNet, quick to make many of. */
function smallModel(name: string): string {
  const dir = path.join(temp, name, 'unet');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), name);
  return path.join(dir, 'model.onnx');
}

describe('cleaning up kept optimised graphs', () => {
  it('deletes those of a model that is gone or changed and of another runtime version, and keeps the current ones', async () => {
    const cache = path.join(temp, 'cache-prune');
    const current = await keepGraph(cache, smallModel('prune-current'), 10);
    const goneModel = smallModel('prune-gone');
    const gone = await keepGraph(cache, goneModel, 10);
    rmSync(path.dirname(path.dirname(goneModel)), { recursive: true });
    const changedModel = smallModel('prune-changed');
    const changed = await keepGraph(cache, changedModel, 10);
    writeFileSync(changedModel, 'another graph');
    const older = await keepGraph(cache, smallModel('prune-older'), 10, '1.29.0');
    const unstamped = path.join(cache, 'unstamped');
    mkdirSync(unstamped);
    writeFileSync(path.join(unstamped, OPTIMIZED_MODEL_FILE), 'graph');

    const removed = await pruneOptimizedModels(cache, { runtimeVersion: '1.30.0' });
    expect(removed.sort()).toEqual([gone, changed, older, unstamped].sort());
    expect(readdirSync(cache)).toEqual([path.basename(current)]);
    expect((await optimizedModelEntry(cache, changedModel, 'cpu', '1.30.0')).ready).toBeNull();
  });

  it('deletes staging folders left by a start that crashed, not one in progress', async () => {
    const cache = path.join(temp, 'cache-staging');
    const abandoned = await optimizedModelEntry(cache, smallModel('staging-abandoned'), 'cpu', '1.30.0');
    const inProgress = await optimizedModelEntry(cache, smallModel('staging-now'), 'cpu', '1.30.0');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(path.dirname(abandoned.staging!), twoHoursAgo, twoHoursAgo);

    expect(await pruneOptimizedModels(cache, { runtimeVersion: '1.30.0' })).toEqual([path.dirname(abandoned.staging!)]);
    expect(existsSync(path.dirname(inProgress.staging!))).toBe(true);
  });

  it('keeps them under the size cap by deleting the least recently used first', async () => {
    const cache = path.join(temp, 'cache-cap');
    const models = ['cap-a', 'cap-b', 'cap-c'].map(smallModel);
    const dirs = [];
    for (const model of models) dirs.push(await keepGraph(cache, model, 1000));
    // Used in the order b, c, a: b is the least recently used.
    for (const [i, model] of [models[1]!, models[2]!, models[0]!].entries()) {
      const used = new Date(Date.now() + i * 1000);
      utimesSync(path.join(path.dirname((await optimizedModelEntry(cache, model, 'cpu', '1.30.0')).ready!), 'stamp.json'), used, used);
    }

    expect(await pruneOptimizedModels(cache, { runtimeVersion: '1.30.0', maxBytes: 2500 })).toEqual([dirs[1]]);
    expect(await pruneOptimizedModels(cache, { runtimeVersion: '1.30.0', maxBytes: 1500 })).toEqual([dirs[2]]);
    expect(readdirSync(cache)).toEqual([path.basename(dirs[0]!)]);
  });

  it('deletes every graph of a model being removed, and only those', async () => {
    const cache = path.join(temp, 'cache-forget');
    const unet = smallModel('forget-me');
    const encoder = path.join(temp, 'forget-me', 'text_encoder', 'model.onnx');
    mkdirSync(path.dirname(encoder));
    writeFileSync(encoder, 'encoder');
    const other = await keepGraph(cache, smallModel('forget-me-not'), 10);
    const mine = [await keepGraph(cache, unet, 10), await keepGraph(cache, encoder, 10)];

    expect((await forgetOptimizedModels(cache, path.join(temp, 'forget-me'))).sort()).toEqual(mine.sort());
    expect(readdirSync(cache)).toEqual([path.basename(other)]);
  });

  it('finds nothing to do where no graph was ever kept', async () => {
    expect(await pruneOptimizedModels(path.join(temp, 'no-cache'))).toEqual([]);
    expect(await forgetOptimizedModels(path.join(temp, 'no-cache'), temp)).toEqual([]);
  });
});
