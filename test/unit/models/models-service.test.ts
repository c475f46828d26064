import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelSummary } from '../../../src-preload/api';
import { CATALOG } from '../../../src-main/core/models/catalog';
import { ModelsService } from '../../../src-main/core/models/models-service';
import { settingsSchema } from '../../../src-preload/api';
import type { FakeHub } from '../../fixtures/hub/fake-hub';
import { startModelHub } from '../../fixtures/hub/model-hub';
import { fixtureModel } from '../../fixtures/models';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();
let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

async function setUp() {
  const started = await startModelHub('sd15-legacy', 'tiny');
  hub = started.hub;
  const modelsDir = await tempDir();
  const changes: ModelSummary[] = [];
  const service = new ModelsService({
    modelsDir: async () => modelsDir,
    builtinModelsDir: path.join(modelsDir, 'none'),
    settings: async () => settingsSchema.parse({ hubEndpoint: started.hub.hubUrl }),
    env: {},
    onChange: (model) => changes.push(model),
    catalog: [started.entry],
    downloaderOptions: { stallTimeoutMs: 500, retryBaseDelayMs: 10, progressIntervalMs: 0 },
  });
  return { service, modelsDir, changes, hub: started.hub };
}

/** Polls until the model reaches one of `states`; fails with the last state seen after 10 s. */
async function reaches(service: ModelsService, id: string, ...states: ModelSummary['state'][]): Promise<ModelSummary> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const model = await service.get(id);
    if (states.includes(model.state)) return model;
    if (Date.now() > deadline) throw new Error(`${id} stayed ${model.state}: ${JSON.stringify(model.download)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function partialFiles(dir: string): Promise<string[]> {
  const files = await fs.readdir(dir, { recursive: true }).catch(() => []);
  return files.map(String).filter((file) => file.endsWith('.partial'));
}

const STALL_AFTER_BYTES = 2_000;

/** Waits until a large file sits stalled part-way down, so a pause has a partial file to keep. */
async function partWayDown(dir: string): Promise<void> {
  for (;;) {
    const sizes = await Promise.all(
      (await partialFiles(dir)).map(async (file) => (await fs.stat(path.join(dir, file)).catch(() => null))?.size ?? 0),
    );
    if (sizes.some((size) => size >= STALL_AFTER_BYTES)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ModelsService', () => {
  it('lists a catalog model as available, plans it against the free disk, and installs it', async () => {
    const { service, modelsDir, changes } = await setUp();
    expect((await service.list()).map((model) => [model.id, model.state])).toEqual([['tiny', 'available']]);

    const plan = await service.plan('tiny');
    expect(plan.remainingBytes).toBe(plan.totalBytes);
    expect(plan.totalBytes).toBeGreaterThan(0);
    expect(plan.freeBytes).toBeGreaterThan(plan.totalBytes);
    expect(plan.folder).toBe(path.join(modelsDir, 'tiny'));
    expect((await service.get('tiny')).state).toBe('available');

    expect((await service.download('tiny')).state).toBe('downloading');
    const installed = await reaches(service, 'tiny', 'installed', 'failed');
    expect(installed.state).toBe('installed');
    expect(changes.some((change) => change.download?.state === 'downloading' && change.download.bytes > 0)).toBe(true);
    // The windows hear the final state last, whatever order the progress notices were made in.
    await expect.poll(() => changes.at(-1)?.state).toBe('installed');
    expect((await service.resolveForGeneration('tiny')).folder.dir).toBe(path.join(modelsDir, 'tiny'));
    expect(await service.verify('tiny')).toEqual({ id: 'tiny', ok: true, problems: [] });
  });

  it('tells which models are for inpainting: the catalog says it for its entries, the folder for imports', async () => {
    const modelsDir = await tempDir();
    const service = new ModelsService({
      modelsDir: async () => modelsDir,
      builtinModelsDir: path.join(modelsDir, 'none'),
      settings: async () => settingsSchema.parse({}),
      env: {},
      onChange: () => undefined,
      catalog: CATALOG,
    });
    const listed = await service.list();
    expect(listed.find((model) => model.id === 'sd-1.5-inpainting')).toMatchObject({ inpainting: true, state: 'available' });
    expect(listed.find((model) => model.id === 'sd-1.5')).toMatchObject({ inpainting: false });

    const inpaint = await service.importFolder(await fixtureModel('sd15-inpaint-optimum'), 'reference');
    expect(inpaint).toMatchObject({ origin: 'imported', inpainting: true });
    const plain = await service.importFolder(await fixtureModel('sd15-optimum'), 'reference');
    expect(plain).toMatchObject({ origin: 'imported', inpainting: false });
    // The record keeps it: a new service (the next app start) still knows.
    const again = new ModelsService({
      modelsDir: async () => modelsDir,
      builtinModelsDir: path.join(modelsDir, 'none'),
      settings: async () => settingsSchema.parse({}),
      env: {},
      onChange: () => undefined,
      catalog: CATALOG,
    });
    expect((await again.get(inpaint.id)).inpainting).toBe(true);
  });

  it('tells which installed models carry a tiny decoder, for the Generate form', async () => {
    const modelsDir = await tempDir();
    const service = new ModelsService({
      modelsDir: async () => modelsDir,
      builtinModelsDir: path.join(modelsDir, 'none'),
      settings: async () => settingsSchema.parse({}),
      env: {},
      onChange: () => undefined,
      catalog: CATALOG,
    });
    const withTiny = await service.importFolder(await fixtureModel('sd15-optimum', { tinyDecoder: true }), 'reference');
    const without = await service.importFolder(await fixtureModel('sd15-optimum'), 'reference');
    expect(withTiny.tinyDecoder).toBe(true);
    expect(without.tinyDecoder).toBe(false);
    expect((await service.list()).find((model) => model.id === 'sd-1.5')).toMatchObject({ state: 'available', tinyDecoder: false });
  });

  it('starts one download when asked twice at once', async () => {
    const { service, hub } = await setUp();
    await Promise.all([service.download('tiny'), service.download('tiny')]);
    expect((await reaches(service, 'tiny', 'installed', 'failed')).state).toBe('installed');
    const unetFetches = hub.requests.filter((request) => request.server === 'hub' && request.method === 'GET' && request.url.endsWith('/unet/model.onnx'));
    expect(unetFetches).toHaveLength(1);
  });

  it('pauses a download, keeps what it fetched, and resumes it later', async () => {
    const { service, modelsDir, hub } = await setUp();
    hub.misbehaviour = { stallAfterBytes: STALL_AFTER_BYTES, stallTimes: 100 };
    await service.download('tiny');
    await partWayDown(path.join(modelsDir, 'tiny'));
    const paused = await service.pause('tiny');
    expect(paused.state).toBe('paused');
    expect(paused.download?.message).toMatch(/^Paused at /);
    expect((await service.list())[0]?.download?.state).toBe('paused');
    expect(await partialFiles(path.join(modelsDir, 'tiny'))).not.toEqual([]);

    hub.misbehaviour = {};
    await service.download('tiny');
    expect((await reaches(service, 'tiny', 'installed', 'failed')).state).toBe('installed');
  });

  it('cancelling a paused download removes its partial files', async () => {
    const { service, modelsDir, hub } = await setUp();
    hub.misbehaviour = { stallAfterBytes: STALL_AFTER_BYTES, stallTimes: 100 };
    await service.download('tiny');
    await partWayDown(path.join(modelsDir, 'tiny'));
    await service.pause('tiny');
    await service.cancel('tiny');
    expect(await partialFiles(path.join(modelsDir, 'tiny'))).toEqual([]);
  });

  it('says why a download failed, in words, and keeps saying it in the list', async () => {
    const { service, hub } = await setUp();
    hub.misbehaviour = { corruptPaths: ['unet/model.onnx'] };
    await service.download('tiny');
    const failed = await reaches(service, 'tiny', 'installed', 'failed');
    expect(failed.state).toBe('failed');
    expect(failed.download?.error?.code).toBe('checksum_mismatch');
    expect(failed.download?.message).toContain('unet/model.onnx');
    expect((await service.list())[0]?.state).toBe('failed');
  });

  it('refuses to generate with a model that is not installed, and removes one that is', async () => {
    const { service } = await setUp();
    await expect(service.resolveForGeneration('tiny')).rejects.toMatchObject({ code: 'not_found' });
    await service.download('tiny');
    await reaches(service, 'tiny', 'installed');
    expect((await service.remove('tiny'))?.state).toBe('available');
    await expect(service.get('nothing-here')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('ModelsService offline', () => {
  /** A port a server listened on and has closed: connections to it are refused, as when offline. */
  async function refusingEndpoint(): Promise<string> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
  }

  it('plans from the catalog without the hub, and fails a download once, saying so once', async () => {
    const { entry } = await startModelHub('sd15-legacy', 'tiny');
    const modelsDir = await tempDir();
    const endpoint = await refusingEndpoint();
    const service = new ModelsService({
      modelsDir: async () => modelsDir,
      builtinModelsDir: path.join(modelsDir, 'none'),
      settings: async () => settingsSchema.parse({ hubEndpoint: endpoint }),
      env: {},
      onChange: () => undefined,
      catalog: [entry],
      // The real retry policy: six retries would take a minute; an unreachable hub gets one.
      downloaderOptions: { retryBaseDelayMs: 50 },
    });
    const plan = await service.plan('tiny');
    expect(plan.totalBytes).toBe(entry.approxTotalBytes);
    expect(plan.remainingBytes).toBe(entry.approxTotalBytes);

    await service.download('tiny');
    const failed = await reaches(service, 'tiny', 'failed', 'installed');
    const message = failed.download?.error?.message ?? '';
    expect(message).toMatch(/refused the connection\. Easel cannot reach the model hub: check the internet connection/);
    expect(message.match(/check/gi)).toHaveLength(1);
  });
});
