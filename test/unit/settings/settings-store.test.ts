import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src-main/core/fs/atomic';
import { SettingsStore, toPublicSettings } from '../../../src-main/core/settings/settings-store';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();

describe('SettingsStore', () => {
  it('starts from defaults when there is no file, and persists updates as JSON', async () => {
    const dataDir = await tempDir();
    const store = new SettingsStore({ dataDir });
    expect((await store.get()).theme).toBe('system');

    await store.update({ theme: 'dark', galleryDir: '/tmp/pictures' });
    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8'));
    expect(onDisk).toMatchObject({ theme: 'dark', galleryDir: '/tmp/pictures' });

    const reopened = new SettingsStore({ dataDir });
    expect((await reopened.get()).theme).toBe('dark');
  });

  it('forgets the hub access token when the hub address changes, unless the same change gives a new one', async () => {
    const store = new SettingsStore({ dataDir: await tempDir() });
    await store.update({ hubToken: 'hf_for_the_hub' });
    await store.update({ hubEndpoint: 'https://huggingface.co' });
    expect((await store.get()).hubToken).toBe('hf_for_the_hub');
    await store.update({ hubEndpoint: 'https://mirror.example.org' });
    expect(toPublicSettings(await store.get())).toMatchObject({ hubEndpoint: 'https://mirror.example.org', hubTokenSet: false });
    await store.update({ hubEndpoint: 'https://other.example.org', hubToken: 'hf_for_the_other' });
    expect((await store.get()).hubToken).toBe('hf_for_the_other');
  });

  it('leaves no temp files behind, and the last of concurrent updates wins on disk', async () => {
    const dataDir = await tempDir();
    const store = new SettingsStore({ dataDir });
    await Promise.all([store.update({ theme: 'dark' }), store.update({ theme: 'light' }), store.update({ lastModelId: 'x' })]);
    expect(await readdir(dataDir)).toEqual(['settings.json']);
    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8'));
    expect(onDisk).toMatchObject({ theme: 'light', lastModelId: 'x' });
  });

  it.each([
    ['not JSON at all', '{"theme": "dark", '],
    ['a value of the wrong kind', JSON.stringify({ theme: 'purple' })],
    ['a JSON value that is not an object', '42'],
  ])('keeps a corrupt file (%s) aside and uses the defaults', async (_kind, content) => {
    const dataDir = await tempDir();
    await writeFile(path.join(dataDir, 'settings.json'), content);
    const recovered: string[] = [];
    const store = new SettingsStore({
      dataDir,
      clock: () => new Date('2026-11-24T10:00:00Z'),
      onRecovered: ({ movedTo }) => recovered.push(movedTo),
    });

    expect((await store.get()).theme).toBe('system');
    expect(recovered).toEqual([path.join(dataDir, 'settings.corrupt-2026-11-24T10-00-00-000Z.json')]);
    expect(await readFile(recovered[0] as string, 'utf8')).toBe(content);
    await store.update({ theme: 'light' });
    expect(JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')).theme).toBe('light');
  });

  it('rejects an invalid patch with a typed error and changes nothing', async () => {
    const dataDir = await tempDir();
    const store = new SettingsStore({ dataDir });
    await expect(store.update({ theme: 'neon' } as never)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(readdir(dataDir)).resolves.toEqual([]);
  });

  it('never shows the hub token to the renderer', async () => {
    const store = new SettingsStore({ dataDir: await tempDir() });
    const settings = await store.update({ hubToken: 'hf_secret' });
    const visible = toPublicSettings(settings);
    expect(JSON.stringify(visible)).not.toContain('hf_secret');
    expect(visible.hubTokenSet).toBe(true);
  });

  it('tells listeners about every change', async () => {
    const store = new SettingsStore({ dataDir: await tempDir() });
    const seen: string[] = [];
    const stop = store.onChange((settings) => seen.push(settings.theme));
    await store.update({ theme: 'dark' });
    stop();
    await store.update({ theme: 'light' });
    expect(seen).toEqual(['dark']);
  });
});

describe('writeFileAtomic', () => {
  it('keeps the old target intact and cleans up when the final rename fails', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'occupied');
    await mkdir(path.join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, 'new content')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['occupied']);
    expect(await readdir(target)).toEqual(['child']);
  });

  it('replaces the content in one step', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'file.txt');
    await writeFileAtomic(target, 'first');
    await writeFileAtomic(target, 'second');
    expect(await readFile(target, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['file.txt']);
  });
});
