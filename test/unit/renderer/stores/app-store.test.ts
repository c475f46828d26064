import { appInfo, fake, ioError, ok, settings } from './fake-easel';
import { beforeEach, describe, expect, it } from 'vitest';
import { followSettingsChanges, useAppStore } from '../../../../src-renderer/stores/app-store';

beforeEach(() => {
  fake.reset();
  useAppStore.setState(useAppStore.getInitialState(), true);
});

describe('the app store', () => {
  it('loads the app info and the settings together', async () => {
    fake.answer('app.info', appInfo());
    fake.answer('settings.get', settings({ theme: 'dark' }));
    await useAppStore.getState().load();
    expect(useAppStore.getState()).toMatchObject({ info: { host: 'web' }, settings: { theme: 'dark' }, error: null });
  });

  it('shows why the settings could not be read', async () => {
    fake.answer('app.info', appInfo());
    fake.fail('settings.get', ioError);
    await useAppStore.getState().load();
    expect(useAppStore.getState()).toMatchObject({ settings: null, error: ioError });
  });

  it('saves a patch and clears the last error', async () => {
    useAppStore.setState({ error: ioError });
    fake.answer('settings.update', (patch) => ok(settings({ theme: patch.theme ?? 'system' })));
    fake.answer('app.info', appInfo());
    expect(await useAppStore.getState().updateSettings({ theme: 'dark' })).toBe(true);
    expect(fake.requests('settings.update')).toEqual([{ theme: 'dark' }]);
    expect(useAppStore.getState()).toMatchObject({ settings: { theme: 'dark' }, error: null });
  });

  it('changes a folder through settings.chooseFolder, confirmed, then reads the app info again (the folder moved)', async () => {
    fake.answer('settings.chooseFolder', (request) => ok({ chosen: true, settings: settings({ galleryDir: request.path ?? null }) }));
    fake.answer('app.info', appInfo({ paths: { data: '/data', models: '/data/models', gallery: '/pictures', loras: '/data/loras', embeddings: '/data/embeddings' } }));
    expect(await useAppStore.getState().chooseFolder('gallery', '/pictures')).toBeNull();
    expect(fake.requests('settings.chooseFolder')).toEqual([{ which: 'gallery', path: '/pictures', confirmed: true }]);
    expect(useAppStore.getState()).toMatchObject({ settings: { galleryDir: '/pictures' }, info: { paths: { gallery: '/pictures' } } });
  });

  it('hands back why a folder was refused and keeps the settings it had', async () => {
    useAppStore.setState({ settings: settings({ galleryDir: null }) });
    const refusal = { code: 'forbidden' as const, message: '/home/me holds files that are not Easel’s.' };
    fake.fail('settings.chooseFolder', refusal);
    expect(await useAppStore.getState().chooseFolder('gallery', '/home/me')).toEqual(refusal);
    expect(useAppStore.getState().settings?.galleryDir).toBeNull();
    // Without a path the desktop app's dialog decides; the page sends only which folder.
    fake.answer('settings.chooseFolder', { chosen: false, settings: settings() });
    fake.answer('app.info', appInfo());
    expect(await useAppStore.getState().chooseFolder('models')).toBeNull();
    expect(fake.requests('settings.chooseFolder').at(-1)).toEqual({ which: 'models' });
  });

  it('keeps the settings it had when a save fails, and says why', async () => {
    useAppStore.setState({ settings: settings({ theme: 'light' }) });
    fake.fail('settings.update', ioError);
    expect(await useAppStore.getState().updateSettings({ theme: 'dark' })).toBe(false);
    expect(useAppStore.getState()).toMatchObject({ settings: { theme: 'light' }, error: ioError });
    expect(fake.requests('app.info')).toEqual([]);
  });

  it('follows settings changed elsewhere until it stops', () => {
    const stop = followSettingsChanges();
    fake.emit('settings.changed', settings({ theme: 'dark' }));
    expect(useAppStore.getState().settings?.theme).toBe('dark');
    stop();
    fake.emit('settings.changed', settings({ theme: 'light' }));
    expect(useAppStore.getState().settings?.theme).toBe('dark');
  });
});
