import { cpSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIMIZED_MODEL_FILE, optimizedModelEntry } from '../../../src-main/core/runtime/optimized-models';
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
