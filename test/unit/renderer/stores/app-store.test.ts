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

  it('saves a patch, then reads the app info again (the folders may have moved)', async () => {
    useAppStore.setState({ error: ioError });
    fake.answer('settings.update', (patch) => ok(settings({ galleryDir: patch.galleryDir ?? null })));
    fake.answer('app.info', appInfo({ paths: { data: '/data', models: '/data/models', gallery: '/pictures' } }));
    expect(await useAppStore.getState().updateSettings({ galleryDir: '/pictures' })).toBe(true);
    expect(fake.requests('settings.update')).toEqual([{ galleryDir: '/pictures' }]);
    expect(useAppStore.getState()).toMatchObject({ settings: { galleryDir: '/pictures' }, info: { paths: { gallery: '/pictures' } }, error: null });
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
