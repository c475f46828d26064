import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { Downloader, type DownloaderOptions, type DownloadRequest } from '../../../src-main/core/models/downloader';
import { FakeHub, payload, type HubFile } from '../../fixtures/hub/fake-hub';
import { useTempDirs } from '../../helpers/temp';
export { caught } from '../../helpers/errors';

/** A fake hub and a model folder per test, with a downloader that never waits long. */

export const FILES: HubFile[] = [
  { path: 'model_index.json', content: Buffer.from('{"_class_name":"OnnxStableDiffusionPipeline"}\n'), lfs: false },
  { path: 'unet/model.onnx', content: payload(48_000, 1), lfs: true },
  { path: 'unet/weights.pb', content: payload(64_000, 2), lfs: true },
];

export interface HubSession {
  hub: FakeHub;
  dir: string;
  /** Every wait the downloader asked for (retries): it does not really wait. */
  sleeps: number[];
  downloader(options?: DownloaderOptions): Downloader;
  request(extra?: Partial<DownloadRequest>): DownloadRequest;
  /** Replaces the hub, e.g. with an https one. */
  restart(options?: ConstructorParameters<typeof FakeHub>[1]): Promise<void>;
}

export function useHubSession(): HubSession {
  const tempDir = useTempDirs();
  const session = { sleeps: [] as number[] } as unknown as HubSession;
  beforeEach(async () => {
    session.sleeps = [];
    session.dir = await tempDir();
    session.hub = await new FakeHub(FILES).start();
  });
  afterEach(async () => {
    await session.hub.stop();
  });
  session.restart = async (options) => {
    await session.hub.stop();
    session.hub = await new FakeHub(FILES, options).start();
  };
  session.downloader = (options = {}) =>
    new Downloader({
      hubEndpoint: session.hub.hubUrl,
      clock: {
        now: () => Date.now(),
        sleep: async (ms) => {
          session.sleeps.push(ms);
        },
      },
      stallTimeoutMs: 1_000,
      retryBaseDelayMs: 100,
      progressIntervalMs: 0,
      concurrency: 1,
      ...options,
    });
  session.request = (extra = {}) => ({
    modelId: 'tiny',
    displayName: 'Tiny model',
    repo: session.hub.repo,
    revision: session.hub.revision,
    files: session.hub.specs(),
    destDir: path.join(session.dir, 'tiny'),
    ...extra,
  });
  return session;
}


/** Names of the files under `root`, `/`-separated, partial files included. */
export async function filesUnder(root: string): Promise<string[]> {
  const names = await fsp.readdir(root, { recursive: true, withFileTypes: true });
  return names
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}
