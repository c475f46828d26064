import { appInfo, deferred, fake, galleryItem, ioError, job, model, ok, settings } from './fake-easel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HardwareReport, ModelSummary, Recommendation, Result, SelfTestReport } from '../../../../src-preload/api';
import { useAppStore } from '../../../../src-renderer/stores/app-store';
import { builtinModel, chosenModel, followSetupEvents, useSetupStore } from '../../../../src-renderer/stores/setup-store';

const hardware: HardwareReport = {
  os: { platform: 'linux', release: '6.8', arch: 'x64' },
  cpu: { model: 'Test CPU', physicalCores: 4, logicalCores: 8, avx2: true, avx512: false },
  memory: { totalBytes: 16e9, freeBytes: 8e9 },
  disk: null,
  gpus: [],
  probes: [],
};
const selfTest: SelfTestReport = { ranAt: '2026-01-01T00:00:00Z', machine: 'test', model: null, skipped: 'no model', checks: [] };
const recommendation: Recommendation = {
  provider: 'cpu',
  device: 'the CPU (Test CPU)',
  modelId: 'sd15',
  width: 512,
  height: 512,
  steps: 25,
  secondsPerImage: 60,
  slow: true,
  summary: 'the CPU: Stable Diffusion 1.5 at 512×512, about 1 min per image',
  estimates: [],
};

let stopEvents: () => void = () => {};

beforeEach(() => {
  fake.reset();
  useSetupStore.setState(useSetupStore.getInitialState(), true);
  useAppStore.setState({ ...useAppStore.getInitialState(), settings: settings() }, true);
  fake.answer('settings.update', ({ hubToken: _token, ...patch }) => ok(settings({ ...useAppStore.getState().settings, ...patch })));
  fake.fail('app.info', ioError);
  stopEvents = followSetupEvents();
});

afterEach(() => stopEvents());

describe('the setup store', () => {
  it('resumes where a restart left it, with the model chosen then', async () => {
    useAppStore.setState({ settings: settings({ setupStep: 'download', setupModelId: 'sd15' }) });
    fake.answer('models.list', [model('sd15', { state: 'available' })]);
    await useSetupStore.getState().start();
    const state = useSetupStore.getState();
    expect(state).toMatchObject({ step: 'download', chosenId: 'sd15' });
    expect(chosenModel(state)?.id).toBe('sd15');
  });

  it('walks the steps in order, saving each, and stops at both ends', async () => {
    const setup = useSetupStore.getState();
    await setup.back();
    await setup.next();
    await setup.next();
    await setup.goTo('done');
    await setup.next();
    expect(useSetupStore.getState().step).toBe('done');
    expect(fake.requests('settings.update').map((patch) => patch.setupStep)).toEqual(['welcome', 'hardware', 'model', 'done', 'done']);
  });

  it('looks at the machine again when forced, and chooses the recommended model when none is chosen', async () => {
    fake.answer('system.hardware', { report: hardware, summary: ['Test CPU'] });
    fake.answer('system.recommendation', recommendation);
    fake.answer('system.selfTest', selfTest);
    await useSetupStore.getState().testHardware(true);
    expect(fake.requests('system.hardware')).toEqual([{ force: true }]);
    expect(fake.requests('system.recommendation')).toEqual([{ force: true }]);
    // The self-test report is read, not run again: the recommendation already ran it.
    expect(fake.requests('system.selfTest')).toEqual([{}]);
    expect(useSetupStore.getState()).toMatchObject({
      hardware: { status: 'ready' },
      selfTest: { status: 'ready', value: selfTest },
      recommendation: { status: 'ready', value: recommendation },
      chosenId: 'sd15',
    });
    expect(fake.requests('settings.update')).toEqual([{ setupModelId: 'sd15' }]);
  });

  it('shows why the machine could not be read', async () => {
    fake.fail('system.hardware', ioError);
    fake.fail('system.recommendation', ioError);
    fake.fail('system.selfTest', ioError);
    await useSetupStore.getState().testHardware();
    expect(useSetupStore.getState()).toMatchObject({ hardware: { status: 'failed', error: ioError }, chosenId: null });
  });

  it('keeps the "installed" an event brought over a late answer to "download"', async () => {
    useSetupStore.setState({ chosenId: 'demo', models: { status: 'ready', value: [model('demo', { state: 'available' })] } });
    const answer = deferred<Result<ModelSummary>>();
    fake.answer('models.download', () => answer.promise);
    const running = useSetupStore.getState().download();
    expect(useSetupStore.getState().busy).toBe(true);
    fake.emit('models.changed', model('demo', { state: 'installed' }));
    answer.resolve(ok(model('demo', { state: 'downloading' })));
    await running;
    expect(useSetupStore.getState()).toMatchObject({ busy: false, models: { value: [{ id: 'demo', state: 'installed' }] } });
  });

  it('says why a download did not start', async () => {
    useSetupStore.setState({ chosenId: 'sd15', models: { status: 'ready', value: [model('sd15', { state: 'available' })] } });
    fake.fail('models.download', ioError);
    await useSetupStore.getState().download();
    expect(useSetupStore.getState()).toMatchObject({ busy: false, actionError: ioError });
  });

  it('imports a folder by reference and chooses it', async () => {
    useSetupStore.setState({ models: { status: 'ready', value: [] } });
    fake.answer('models.import', ({ path }) => ok(model('mine', { origin: 'imported', description: path })));
    expect(await useSetupStore.getState().importFolder('/home/me/mine')).toBe(true);
    expect(fake.requests('models.import')).toEqual([{ path: '/home/me/mine', mode: 'reference' }]);
    expect(useSetupStore.getState().chosenId).toBe('mine');
  });

  it('makes the first image with the chosen model’s defaults and shows it once its job is done', async () => {
    useSetupStore.setState({ chosenId: 'sd15', models: { status: 'ready', value: [model('sd15')] } });
    fake.answer('jobs.enqueue', job('first'));
    fake.answer('gallery.image', ({ id }) => ok({ id, dataUrl: 'data:image/png;base64,AAAA' }));
    await useSetupStore.getState().makeFirstImage('a lighthouse');
    expect(fake.requests('jobs.enqueue')[0]).toMatchObject({
      modelId: 'sd15',
      prompt: 'a lighthouse',
      steps: 25,
      guidance: 7.5,
      scheduler: 'euler-a',
      width: 512,
      height: 512,
      preview: false,
    });
    fake.emit('jobs.changed', job('first', { state: 'done', results: [galleryItem('first.png')] }));
    await vi.waitFor(() => expect(useSetupStore.getState().firstImage?.dataUrl).toBe('data:image/png;base64,AAAA'));
    expect(fake.requests('gallery.image')).toEqual([{ id: 'first.png' }]);
  });

  it('says why the first image did not come', async () => {
    useSetupStore.setState({ chosenId: 'sd15', models: { status: 'ready', value: [model('sd15')] } });
    fake.answer('jobs.enqueue', job('broken'));
    await useSetupStore.getState().makeFirstImage('a lighthouse');
    const error = { code: 'inference_failed' as const, message: 'The model failed.' };
    fake.emit('jobs.changed', job('broken', { state: 'failed', error }));
    expect(useSetupStore.getState().firstImageError).toEqual(error);
  });

  it('finishes by saving setup as done, with the chosen model as the last one used', async () => {
    useSetupStore.setState({ step: 'done', chosenId: 'sd15' });
    await useSetupStore.getState().finish();
    expect(fake.requests('settings.update')).toEqual([
      { setupComplete: true, setupStep: 'welcome', setupModelId: null, lastModelId: 'sd15' },
    ]);
    expect(useSetupStore.getState().step).toBe('welcome');
  });

  it('stays on its step when finishing could not be saved', async () => {
    useSetupStore.setState({ step: 'done', chosenId: 'sd15' });
    fake.fail('settings.update', ioError);
    await useSetupStore.getState().finish();
    expect(useSetupStore.getState().step).toBe('done');
    expect(useAppStore.getState().error).toEqual(ioError);
  });
});

describe('falling back to the built-in demo', () => {
  it('switches to the installed built-in model and goes on to the first picture', async () => {
    const demo = model('easel-demo', { origin: 'builtin', family: 'demo' });
    useSetupStore.setState({
      step: 'download',
      chosenId: 'sd15',
      models: { status: 'ready', value: [model('sd15', { state: 'failed' }), demo] },
    });
    fake.answer('settings.update', (patch) => ok(settings(patch)));
    fake.answer('app.info', appInfo());
    await useSetupStore.getState().switchToDemo();
    expect(useSetupStore.getState()).toMatchObject({ chosenId: 'easel-demo', step: 'first-image' });
    expect(chosenModel(useSetupStore.getState())).toBe(demo);
    expect(fake.requests('settings.update')).toEqual([{ setupModelId: 'easel-demo' }, { setupStep: 'first-image' }]);
  });

  it('does nothing when no built-in model is installed', async () => {
    useSetupStore.setState({ step: 'download', chosenId: 'sd15', models: { status: 'ready', value: [model('sd15', { state: 'failed' })] } });
    await useSetupStore.getState().switchToDemo();
    expect(useSetupStore.getState()).toMatchObject({ chosenId: 'sd15', step: 'download' });
    expect(builtinModel(useSetupStore.getState())).toBeNull();
  });
});
