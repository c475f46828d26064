import path from 'node:path';
import { resolveAppPaths, type AppPaths } from '../../src-main/core/app-paths';
import { Easel, type EaselOptions } from '../../src-main/core/easel';
import { createDispatcher, createUploadDispatcher } from '../../src-main/hosts/dispatch';
import { createHandlers, createUploadHandlers } from '../../src-main/hosts/handlers';
import { startWebHost, type WebHost } from '../../src-main/hosts/web-server';

export const repoRoot = path.resolve(__dirname, '../..');

/** Every folder the app writes inside `dataDir`; built-in models from the repository. */
export function testPaths(dataDir: string): AppPaths {
  const paths = resolveAppPaths({
    env: { EASEL_DATA_DIR: dataDir, EASEL_GALLERY_DIR: path.join(dataDir, 'gallery') },
    platform: process.platform,
    home: dataDir,
    appRoot: repoRoot,
    packaged: false,
  });
  return { ...paths, defaultModels: path.join(dataDir, 'models') };
}

export interface TestHostOptions extends Partial<Pick<EaselOptions, 'catalog' | 'downloaderOptions'>> {
  /** Leave the first-run setup wizard to show; by default setup is marked done so tests start in the app. */
  firstRun?: boolean;
}

/** A real core behind a real web host on 127.0.0.1, with every folder inside `dataDir`. */
export async function startTestHost(
  dataDir: string,
  staticDir: string,
  { firstRun = false, ...options }: TestHostOptions = {},
): Promise<{ easel: Easel; web: WebHost }> {
  const easel = new Easel({
    paths: testPaths(dataDir),
    host: 'web',
    version: '0.0.0-test',
    env: {},
    ...options,
  });
  if (!firstRun) await easel.settings.update({ setupComplete: true });
  const web = await startWebHost({
    dispatch: createDispatcher(createHandlers(easel)),
    upload: createUploadDispatcher(createUploadHandlers(easel)),
    events: easel.events,
    staticDir,
  });
  return { easel, web };
}
