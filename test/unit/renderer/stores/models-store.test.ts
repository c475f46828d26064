import { deferred, fake, ioError, model, ok, settings } from './fake-easel';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelSummary, Result } from '../../../../src-preload/api';
import { useAppStore } from '../../../../src-renderer/stores/app-store';
import { useGenerateStore } from '../../../../src-renderer/stores/generate-store';
import { followModelChanges, inUseFirst, modelInUse, useModelsStore } from '../../../../src-renderer/stores/models-store';

beforeEach(() => {
  fake.reset();
  useModelsStore.setState(useModelsStore.getInitialState(), true);
  useAppStore.setState(useAppStore.getInitialState(), true);
});

function downloading(id: string, bytes: number): ModelSummary {
  return model(id, {
    state: 'downloading',
    download: {
      state: 'downloading',
      bytes,
      totalBytes: 2_600_000_000,
      bytesPerSecond: 10_000_000,
      etaSeconds: 140,
      message: '',
      error: null,
    },
  });
}

describe('the models store', () => {
  it('loads the list, or says why it could not', async () => {
    fake.answer('models.list', [model('sd15')]);
    await useModelsStore.getState().load();
    expect(useModelsStore.getState()).toMatchObject({ status: 'ready', models: [{ id: 'sd15' }], loadError: null });
    fake.fail('models.list', ioError);
    await useModelsStore.getState().load();
    expect(useModelsStore.getState()).toMatchObject({ status: 'failed', loadError: ioError, models: [{ id: 'sd15' }] });
  });

  it('marks a model busy while its action runs, then shows the answer', async () => {
    useModelsStore.setState({ models: [model('sd15', { state: 'available' })] });
    const answer = deferred<Result<ModelSummary>>();
    fake.answer('models.download', () => answer.promise);
    const running = useModelsStore.getState().download('sd15');
    await Promise.resolve();
    expect(useModelsStore.getState().busy).toEqual({ sd15: 'download' });
    answer.resolve(ok(downloading('sd15', 0)));
    await running;
    expect(fake.requests('models.download')).toEqual([{ id: 'sd15' }]);
    expect(useModelsStore.getState()).toMatchObject({ busy: {}, models: [{ id: 'sd15', state: 'downloading' }] });
  });

  it('ignores an answer that an event about the same model overtook', async () => {
    const stop = followModelChanges();
    useModelsStore.setState({ models: [model('small', { state: 'available' })] });
    const answer = deferred<Result<ModelSummary>>();
    fake.answer('models.download', () => answer.promise);
    const running = useModelsStore.getState().download('small');
    fake.emit('models.changed', model('small', { state: 'installed' }));
    answer.resolve(ok(downloading('small', 0)));
    await running;
    expect(useModelsStore.getState().models[0]?.state).toBe('installed');
    stop();
  });

  it('keeps where a paused download stopped, in words', () => {
    useModelsStore.getState().apply(downloading('sd15', 1_200_000_000));
    useModelsStore.getState().apply(model('sd15', { state: 'paused' }));
    expect(useModelsStore.getState().models[0]?.download).toMatchObject({
      state: 'paused',
      bytes: 1_200_000_000,
      bytesPerSecond: 0,
      etaSeconds: null,
      message: 'Paused at 1.2 of 2.6 GB',
    });
  });

  it('records a failed action on the model it was for', async () => {
    useModelsStore.setState({ models: [model('sd15')] });
    fake.fail('models.verify', ioError);
    await useModelsStore.getState().verify('sd15');
    expect(useModelsStore.getState()).toMatchObject({ busy: {}, actionErrors: { sd15: ioError }, verifyResults: {} });
    fake.answer('models.verify', { id: 'sd15', ok: true, problems: [] });
    await useModelsStore.getState().verify('sd15');
    expect(useModelsStore.getState()).toMatchObject({ actionErrors: {}, verifyResults: { sd15: { ok: true } } });
  });

  it('drops a removed imported model from the list, and shows a catalog one as available again', async () => {
    useModelsStore.setState({ models: [model('mine', { origin: 'imported' }), model('sd15')] });
    fake.answer('models.remove', ({ id }) => ok(id === 'mine' ? null : model(id, { state: 'available' })));
    await useModelsStore.getState().remove('mine');
    await useModelsStore.getState().remove('sd15');
    expect(useModelsStore.getState().models).toEqual([model('sd15', { state: 'available' })]);
  });

  it('imports a folder as the contract asks and lists it', async () => {
    fake.answer('models.import', ({ path }) => ok(model('imported', { origin: 'imported', description: path })));
    const result = await useModelsStore.getState().importFolder('/home/me/models/mine', 'reference');
    expect(result.ok).toBe(true);
    expect(fake.requests('models.import')).toEqual([{ path: '/home/me/models/mine', mode: 'reference' }]);
    expect(useModelsStore.getState().models.map((known) => known.id)).toEqual(['imported']);
  });

  it('uses a model: saves it as the last one, picks it in Generate and goes there', async () => {
    fake.answer('settings.update', (patch) => ok(settings({ lastModelId: patch.lastModelId ?? null })));
    fake.fail('app.info', ioError);
    fake.answer('models.list', [model('sd15'), model('turbo', { family: 'sd-turbo' })]);
    useAppStore.setState({ screen: 'models' });
    await useModelsStore.getState().use('turbo');
    expect(fake.requests('settings.update')).toEqual([{ lastModelId: 'turbo' }]);
    expect(useGenerateStore.getState()).toMatchObject({ modelId: 'turbo', guidance: 0 });
    expect(useAppStore.getState().screen).toBe('generate');
    expect(useModelsStore.getState().busy).toEqual({});
  });
});

describe('the model in use on the Models screen', () => {
  const list = [model('demo', { origin: 'builtin' }), model('sd15'), model('turbo', { state: 'available' }), model('mine', { origin: 'imported' })];

  it('is the chosen model only while it is installed', () => {
    expect(modelInUse(list, 'sd15')).toBe('sd15');
    expect(modelInUse(list, 'mine')).toBe('mine');
    // A remembered model that is not (or no longer) installed is not in use.
    expect(modelInUse(list, 'turbo')).toBeNull();
    expect(modelInUse(list, 'removed-long-ago')).toBeNull();
    expect(modelInUse(list, null)).toBeNull();
  });

  it('comes first, the others keeping their order', () => {
    expect(inUseFirst(list, 'mine').map((known) => known.id)).toEqual(['mine', 'demo', 'sd15', 'turbo']);
    expect(inUseFirst(list, 'demo').map((known) => known.id)).toEqual(['demo', 'sd15', 'turbo', 'mine']);
    expect(inUseFirst(list, null)).toEqual(list);
  });
});
