import { describe, expect, it } from 'vitest';
import { channels, createEaselApi, type Channel, type Result } from '../../../src-preload/api';
import { EaselError } from '../../../src-main/core/errors';
import { createDispatcher } from '../../../src-main/hosts/dispatch';
import type { HandlerTable } from '../../../src-main/hosts/handlers';

/** A handler table that records what reached the core. */
function recordingHandlers(reached: Array<[Channel, unknown]>): HandlerTable {
  const table = Object.fromEntries(
    channels.map((channel) => [
      channel,
      async (request: unknown) => {
        reached.push([channel, request]);
        return { echoed: request };
      },
    ]),
  );
  return table as unknown as HandlerTable;
}

/** For every channel, a payload its schema must refuse. */
const badPayloads: Record<Channel, unknown> = {
  'app.info': { unexpected: true },
  'settings.get': 'not an object',
  'settings.update': { theme: 'purple' },
  'settings.chooseFolder': { which: 'attic' },
  'models.list': { all: true },
  'models.plan': {},
  'models.download': { id: '../../etc' },
  'models.pause': { id: 42 },
  'models.cancel': { id: '' },
  'models.remove': { id: 'sd-turbo', force: true },
  'models.verify': null,
  'models.import': { path: '' },
  'models.cancelImport': { importId: '../x' },
  'jobs.enqueue': { modelId: 'm', prompt: 'a cat', steps: 0, guidance: 7, width: 512, height: 512, scheduler: 'euler', seed: '1' },
  'jobs.list': [],
  'jobs.cancel': {},
  'jobs.remove': { id: 7 },
  'upscale.enqueue': { imageId: 'a.png', scale: 3 },
  'gallery.list': { limit: 100000 },
  'gallery.models': { all: true },
  'gallery.thumbnail': { id: '../../etc/passwd' },
  'gallery.image': { id: 'image.jpg' },
  'gallery.setFavourite': { id: 'a.png', favourite: 'yes' },
  'gallery.delete': { id: '.easel-index.png' },
  'gallery.undoDelete': { id: 'sub/dir.png' },
  'gallery.export': { id: '' },
  'gallery.openFolder': { path: '/' },
  'gallery.readParameters': { data: '' },
  'prompt.countTokens': { modelId: 'm' },
  'adapters.list': { kind: 'lora' },
  'adapters.import': { fileName: '../../.bashrc', data: 'AAAA' },
  'adapters.remove': { kind: 'lora', name: '../settings' },
  'system.hardware': { force: 'yes' },
  'system.selfTest': { force: true, provider: 'cuda' },
  'system.recommendation': [],
};

describe('the dispatcher at the host boundary', () => {
  it.each(channels)('refuses a bad payload on %s with a typed error before the core sees it', async (channel) => {
    const reached: Array<[Channel, unknown]> = [];
    const result = await createDispatcher(recordingHandlers(reached))(channel, badPayloads[channel]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid_request');
    expect(result.error.message).toContain(channel);
    expect(reached).toEqual([]);
  });

  it('names the offending field', async () => {
    const result = await createDispatcher(recordingHandlers([]))('settings.update', { hubEndpoint: 'ftp://x' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', detail: [{ path: 'hubEndpoint' }] } });
  });

  // A generate request is validated here only: the core and the pipeline take it as it comes through.
  it.each([
    ['steps', { steps: 0 }],
    ['width', { width: 65 }],
    ['height', { height: 4096 }],
    ['guidance', { guidance: -1 }],
    ['scheduler', { scheduler: 'karras-magic' }],
    ['seed', { seed: '18446744073709551616' }],
    ['count', { count: 0 }],
    ['initImage.strength', { initImage: { data: 'AAAA', strength: 0 } }],
  ])('refuses a generate request with a bad %s, naming the field, before anything is loaded', async (field, overrides) => {
    const reached: Array<[Channel, unknown]> = [];
    const request = { modelId: 'm', prompt: 'a cat', steps: 2, guidance: 7.5, width: 64, height: 64, scheduler: 'euler', ...overrides };
    expect(await createDispatcher(recordingHandlers(reached))('jobs.enqueue', request)).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', detail: [{ path: field }], message: expect.stringContaining(`${field}:`) },
    });
    expect(reached).toEqual([]);
  });

  it('lets a generate request leave the seed out, for the core to draw', async () => {
    const reached: Array<[Channel, unknown]> = [];
    const request = { modelId: 'm', prompt: 'a cat', steps: 2, guidance: 7.5, width: 64, height: 64, scheduler: 'euler' };
    expect(await createDispatcher(recordingHandlers(reached))('jobs.enqueue', request)).toMatchObject({ ok: true });
    expect(reached[0]?.[1]).not.toHaveProperty('seed');
  });

  it('refuses relative folders, which would depend on where Easel started', async () => {
    const dispatch = createDispatcher(recordingHandlers([]));
    expect(await dispatch('settings.chooseFolder', { which: 'gallery', path: 'Pictures/Easel' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await dispatch('models.import', { path: './my-model' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await dispatch('settings.chooseFolder', { which: 'gallery', path: 'C:\\Users\\me\\Pictures', confirmed: true })).toMatchObject({ ok: true });
    expect(await dispatch('settings.chooseFolder', { which: 'models', path: '/home/me/models', confirmed: true })).toMatchObject({ ok: true });
  });

  it('lets no page set the folders through settings.update (they are chosen through settings.chooseFolder)', async () => {
    const dispatch = createDispatcher(recordingHandlers([]));
    expect(await dispatch('settings.update', { galleryDir: '/home/me/Pictures' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await dispatch('settings.update', { modelsDir: '/home/me/models' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('refuses an empty settings patch and unknown settings', async () => {
    const dispatch = createDispatcher(recordingHandlers([]));
    expect(await dispatch('settings.update', {})).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await dispatch('settings.update', { colour: 'red' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('refuses channels outside the contract', async () => {
    const dispatch = createDispatcher(recordingHandlers([]));
    for (const name of ['app.quit', '__proto__', 'constructor', 42, null]) {
      expect(await dispatch(name, {})).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    }
  });

  it('passes the parsed request through and wraps the answer', async () => {
    const reached: Array<[Channel, unknown]> = [];
    const result = await createDispatcher(recordingHandlers(reached))('settings.update', { theme: 'dark' });
    expect(result).toEqual({ ok: true, value: { echoed: { theme: 'dark' } } });
    expect(reached).toEqual([['settings.update', { theme: 'dark' }]]);
  });

  it('turns errors thrown by the core into typed values', async () => {
    const handlers = recordingHandlers([]);
    handlers['app.info'] = async () => {
      throw new EaselError('io', 'The data folder is not writable');
    };
    handlers['settings.get'] = async () => {
      throw new TypeError('undefined is not a function');
    };
    const dispatch = createDispatcher(handlers);
    expect(await dispatch('app.info', {})).toEqual({ ok: false, error: { code: 'io', message: 'The data folder is not writable' } });
    expect(await dispatch('settings.get', undefined)).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});

describe('createEaselApi', () => {
  it('gives each channel a task-named method and forwards subscriptions', async () => {
    const invoked: Array<[string, unknown]> = [];
    const api = createEaselApi({
      invoke: async (channel, request): Promise<Result<unknown>> => {
        invoked.push([channel, request]);
        return { ok: true, value: channel };
      },
      upload: async (channel, request, file): Promise<Result<unknown>> => {
        invoked.push([channel, { request, bytes: file.size }]);
        return { ok: true, value: channel };
      },
      subscribe: (_event, listener) => {
        listener({ theme: 'dark' });
        return () => undefined;
      },
    });
    await api.app.info();
    await api.settings.update({ theme: 'light' });
    const upload = { importId: 'import-0001', fileName: 'owl.safetensors', size: 3 };
    await api.models.importCheckpoint(upload, new Blob([new Uint8Array(3)]));
    expect(invoked).toEqual([
      ['app.info', {}],
      ['settings.update', { theme: 'light' }],
      ['models.importCheckpoint', { request: upload, bytes: 3 }],
    ]);
    const seen: unknown[] = [];
    api.subscribe('settings.changed', (payload) => seen.push(payload));
    expect(seen).toEqual([{ theme: 'dark' }]);
  });
});
