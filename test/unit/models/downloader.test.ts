import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Downloader,
  type Clock,
  type DownloadEvent,
  type DownloaderOptions,
  type DownloadRequest,
} from '../../../src-main/core/models/downloader';
import { proxySettingsFromEnv } from '../../../src-main/core/models/http';
import { readManifest } from '../../../src-main/core/models/manifest';
import { FakeHub, ForwardProxy, payload, sha256, TLS_CERT, type HubFile } from '../../fixtures/hub/fake-hub';
import { caught } from '../../helpers/errors';

const FILES: HubFile[] = [
  { path: 'model_index.json', content: Buffer.from('{"_class_name":"OnnxStableDiffusionPipeline"}\n'), lfs: false },
  { path: 'unet/model.onnx', content: payload(48_000, 1), lfs: true },
  { path: 'unet/weights.pb', content: payload(64_000, 2), lfs: true },
];

let hub: FakeHub;
let dir: string;
let sleeps: number[];

const fastClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms) => {
    sleeps.push(ms);
  },
};

function makeDownloader(options: DownloaderOptions = {}): Downloader {
  return new Downloader({
    hubEndpoint: hub.hubUrl,
    clock: fastClock,
    stallTimeoutMs: 2_000,
    retryBaseDelayMs: 100,
    progressIntervalMs: 0,
    ...options,
  });
}

function request(events: DownloadEvent[] = [], extra: Partial<DownloadRequest> = {}): DownloadRequest {
  return {
    modelId: 'tiny',
    displayName: 'Tiny model',
    repo: hub.repo,
    revision: hub.revision,
    files: hub.specs(),
    destDir: path.join(dir, 'tiny'),
    onEvent: (event) => events.push(event),
    ...extra,
  };
}

async function expectInstalled(): Promise<void> {
  for (const file of FILES) {
    const onDisk = await fsp.readFile(path.join(dir, 'tiny', file.path));
    expect(onDisk.equals(file.content), file.path).toBe(true);
  }
  const leftovers = (await fsp.readdir(path.join(dir, 'tiny'), { recursive: true })).filter((f) => String(f).includes('.partial'));
  expect(leftovers).toEqual([]);
}

async function partialFiles(): Promise<string[]> {
  const root = path.join(dir, 'tiny');
  if (!existsSync(root)) return [];
  return (await fsp.readdir(root, { recursive: true })).map(String).filter((f) => f.includes('.partial'));
}

beforeEach(async () => {
  sleeps = [];
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-dl-'));
  hub = await new FakeHub(FILES).start();
});

afterEach(async () => {
  await hub.stop();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('Downloader', () => {
  it('downloads through the hub redirect, verifies and records every file in the manifest', async () => {
    const events: DownloadEvent[] = [];
    const result = await makeDownloader().download(request(events));
    await expectInstalled();

    const manifest = await readManifest(path.join(dir, 'tiny'));
    for (const file of FILES) {
      expect(manifest?.files[file.path]).toEqual({ bytes: file.content.length, sha256: sha256(file.content) });
    }
    const total = FILES.reduce((sum, f) => sum + f.content.length, 0);
    expect(result.transferredBytes).toBe(total);
    const plan = events.find((e) => e.type === 'plan');
    expect(plan?.type === 'plan' && plan.plan.totalBytes).toBe(total);
    const lastProgress = events.filter((e) => e.type === 'progress').at(-1);
    expect(lastProgress?.type === 'progress' && lastProgress.overall.bytes).toBe(total);
    expect(events.at(-1)).toMatchObject({ type: 'complete', bytes: total });
    expect(hub.cdnRequests()).toHaveLength(2);
    expect(hub.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('does nothing the second time: verified files are not fetched again', async () => {
    await makeDownloader().download(request());
    const before = hub.requests.length;
    const result = await makeDownloader().download(request());
    expect(result.transferredBytes).toBe(0);
    expect(hub.requests.length).toBe(before);
  });

  it('resumes with Range + If-Range after the connection is cut mid-file', async () => {
    hub.misbehaviour = { cutAfterBytes: 20_000, cutTimes: 1 };
    const events: DownloadEvent[] = [];
    const result = await makeDownloader({ concurrency: 1 }).download(request(events));
    await expectInstalled();

    const retry = events.find((e) => e.type === 'retry');
    expect(retry?.type === 'retry' && retry.message).toMatch(/Connection dropped at .* — will resume/);
    const resumed = hub.cdnRequests().find((r) => r.headers.range !== undefined);
    expect(resumed?.headers.range).toBe('bytes=20000-');
    expect(resumed?.headers['if-range']).toMatch(/^"cdn-/);
    // Only the missing bytes went over the wire again.
    expect(result.transferredBytes).toBe(FILES.reduce((sum, f) => sum + f.content.length, 0));
  });

  it('starts the file again cleanly when the server ignores Range', async () => {
    hub.misbehaviour = { cutAfterBytes: 20_000, cutTimes: 1, ignoreRange: true };
    const events: DownloadEvent[] = [];
    await makeDownloader({ concurrency: 1 }).download(request(events));
    await expectInstalled();
    expect(events.some((e) => e.type === 'restart')).toBe(true);
  });

  it('catches corrupted bytes: deletes the partial and never places a bad file', async () => {
    hub.misbehaviour = { corruptPaths: ['unet/weights.pb'] };
    const error = await caught(makeDownloader().download(request()));
    expect(error.code).toBe('checksum_mismatch');
    expect(error.message).toContain('unet/weights.pb');
    expect(existsSync(path.join(dir, 'tiny/unet/weights.pb'))).toBe(false);
    expect(await partialFiles()).not.toContain(path.join('unet', 'weights.pb.partial'));
  });

  it('stops cleanly on a full disk, keeps the partial and resumes in a new instance (app restart)', async () => {
    let written = 0;
    const fullDisk = makeDownloader({
      concurrency: 1,
      fs: {
        write: async (handle, chunk, position) => {
          // The disk fills mid-chunk: what fits is written, then the write fails.
          const room = Math.min(chunk.length, 70_000 - written);
          if (room > 0) await handle.write(chunk, 0, room, position);
          written += room;
          if (room < chunk.length) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        },
      },
    });
    const error = await caught(fullDisk.download(request()));
    expect(error.code).toBe('disk_full');
    expect(error.message).toMatch(/filled up while downloading unet\/weights\.pb .*resumes where it stopped/);
    const partial = await fsp.stat(path.join(dir, 'tiny/unet/weights.pb.partial'));
    expect(partial.size).toBeGreaterThan(0);
    expect(existsSync(path.join(dir, 'tiny/unet/model.onnx'))).toBe(true);

    const cdnBefore = hub.cdnRequests().length;
    const result = await makeDownloader().download(request());
    await expectInstalled();
    const resumed = hub.cdnRequests().slice(cdnBefore);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.headers.range).toBe(`bytes=${partial.size}-`);
    expect(result.transferredBytes).toBe(64_000 - partial.size);
  });

  it('refuses to start when the disk has less free space than the download needs', async () => {
    const error = await caught(makeDownloader({ fs: { freeBytes: async () => 1_000 } }).download(request()));
    expect(error.code).toBe('disk_full');
    expect(error.message).toMatch(/^Not enough disk space: 112 KB needed, 1 KB free on \//);
    expect(hub.cdnRequests()).toHaveLength(0);
  });

  it('pause keeps the partial; a new Downloader resumes from it', async () => {
    hub.misbehaviour = { stallAfterBytes: 30_000, stallTimes: 1 };
    const pause = new AbortController();
    const events: DownloadEvent[] = [];
    const first = makeDownloader({ concurrency: 1 }).download(
      request(events, {
        files: [{ path: 'unet/weights.pb' }],
        pauseSignal: pause.signal,
        onEvent: (event) => {
          if (event.type === 'progress' && (event.file?.bytes ?? 0) >= 30_000) pause.abort();
        },
      }),
    );
    const error = await caught(first);
    expect(error.code).toBe('cancelled');
    expect(error.detail).toMatchObject({ paused: true });
    expect((await fsp.stat(path.join(dir, 'tiny/unet/weights.pb.partial'))).size).toBe(30_000);

    const result = await makeDownloader().download(request());
    await expectInstalled();
    expect(hub.cdnRequests().some((r) => r.headers.range === 'bytes=30000-')).toBe(true);
    expect(result.transferredBytes).toBe(FILES.reduce((sum, f) => sum + f.content.length, 0) - 30_000);
  });

  it('cancel removes the partial files of the download', async () => {
    hub.misbehaviour = { stallAfterBytes: 10_000, stallTimes: 2 };
    const cancel = new AbortController();
    const download = makeDownloader().download(
      request([], {
        signal: cancel.signal,
        onEvent: (event) => {
          if (event.type === 'progress' && (event.file?.bytes ?? 0) >= 10_000) cancel.abort();
        },
      }),
    );
    const error = await caught(download);
    expect(error.code).toBe('cancelled');
    expect(error.detail).not.toMatchObject({ paused: true });
    expect(await partialFiles()).toEqual([]);
  });

  it('a stall times out, and the retry resumes', async () => {
    hub.misbehaviour = { stallAfterBytes: 5_000, stallTimes: 1 };
    const events: DownloadEvent[] = [];
    await makeDownloader({ stallTimeoutMs: 250, concurrency: 1 }).download(request(events));
    await expectInstalled();
    const retry = events.find((e) => e.type === 'retry');
    expect(retry?.type === 'retry' && retry.message).toMatch(/No data for/);
  });

  it('retries server errors with exponential backoff', async () => {
    hub.misbehaviour = { failTimes: 3 };
    await makeDownloader({ concurrency: 1 }).download(request());
    await expectInstalled();
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('finishes a partial the server says is already whole (416)', async () => {
    const target = path.join(dir, 'tiny/unet/weights.pb');
    const content = FILES[2]!.content;
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(`${target}.partial`, content);
    await fsp.writeFile(
      `${target}.partial.json`,
      JSON.stringify({ url: 'x', bytes: content.length, expectedSha256: sha256(content), updatedAt: '' }),
    );
    const result = await makeDownloader().download(request());
    await expectInstalled();
    expect(result.transferredBytes).toBe(FILES[0]!.content.length + FILES[1]!.content.length);
  });

  it('explains that a gated model needs a token, and sends the token to the hub only', async () => {
    // The token travels only over https.
    await hub.stop();
    hub = await new FakeHub(FILES, { secure: true }).start();
    hub.misbehaviour = { gatedToken: 'hf_secret' };
    const logged: string[] = [];
    const error = await caught(makeDownloader({ ca: TLS_CERT }).download(request()));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/gated.*access token/);

    hub.requests.length = 0;
    await makeDownloader({ ca: TLS_CERT, token: 'hf_secret', log: (line) => logged.push(line) }).download(request());
    await expectInstalled();
    const hubRequests = hub.requests.filter((r) => r.server === 'hub');
    expect(hubRequests.every((r) => r.headers.authorization === 'Bearer hf_secret')).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(logged.join('\n')).not.toContain('hf_secret');
  });
});

describe('Downloader with a catalog pin that is a short commit hash', () => {
  const shortPin = (): string => hub.revision.slice(0, 7);
  const apiRequests = (): string[] => hub.requests.filter((r) => r.url.startsWith('/api/')).map((r) => r.url);

  it('asks the hub for the full hash once, fetches every file from that commit and records it in the manifest', async () => {
    await makeDownloader().download(request([], { revision: shortPin() }));
    await expectInstalled();
    expect(apiRequests()).toEqual([`/api/models/${hub.repo}/revision/${shortPin()}`]);
    const fileRequests = hub.requests.filter((r) => r.server === 'hub' && !r.url.startsWith('/api/'));
    expect(fileRequests.length).toBeGreaterThan(0);
    expect(fileRequests.every((r) => r.url.startsWith(`/${hub.repo}/resolve/${hub.revision}/`))).toBe(true);
    expect((await readManifest(path.join(dir, 'tiny')))?.source).toMatchObject({ kind: 'huggingface', revision: hub.revision });

    // The recorded commit answers from then on: nothing is asked or fetched again.
    const before = hub.requests.length;
    const again = await makeDownloader().download(request([], { revision: shortPin() }));
    expect(again.transferredBytes).toBe(0);
    expect(hub.requests.length).toBe(before);
  });

  it('resumes a paused download from the recorded commit, and counts its verified files before asking the hub', async () => {
    const pause = new AbortController();
    const first = makeDownloader({ concurrency: 1 }).download(
      request([], {
        revision: shortPin(),
        onEvent: (event) => {
          if (event.type === 'file-complete') pause.abort();
        },
        pauseSignal: pause.signal,
      }),
    );
    expect((await caught(first)).detail).toMatchObject({ paused: true });
    const estimate = await makeDownloader().estimate(request([], { revision: shortPin() }));
    expect(estimate.files.filter((file) => file.complete)).toHaveLength(1);

    await makeDownloader().download(request([], { revision: shortPin() }));
    await expectInstalled();
    expect(apiRequests()).toHaveLength(1);
  });

  it('refuses a hub whose commit for the short hash is another one, before fetching anything', async () => {
    hub.misbehaviour = { revisionSha: 'badc0de000000000000000000000000000000000' };
    const error = await caught(makeDownloader().download(request([], { revision: shortPin() })));
    expect(error.code).toBe('download_failed');
    expect(error.message).toContain(`commit badc0de000000000000000000000000000000000 for revision ${shortPin()} of ${hub.repo}`);
    expect(error.detail).toMatchObject({ revision: shortPin(), sha: 'badc0de000000000000000000000000000000000' });
    expect(hub.requests.filter((r) => !r.url.startsWith('/api/'))).toEqual([]);
    expect(await readManifest(path.join(dir, 'tiny'))).toBeUndefined();
  });

  it('says when the hub has no such revision', async () => {
    const error = await caught(makeDownloader().download(request([], { revision: 'abcdef1' })));
    expect(error.code).toBe('not_found');
    expect(error.message).toContain(`no revision abcdef1 of ${hub.repo}`);
  });
});

describe('Downloader behind a proxy', () => {
  let proxy: ForwardProxy;

  beforeEach(async () => {
    proxy = await new ForwardProxy().start();
  });

  afterEach(async () => {
    await proxy.stop();
  });

  it('sends http requests through HTTP_PROXY as absolute URIs', async () => {
    const proxies = proxySettingsFromEnv({ HTTP_PROXY: proxy.url });
    await makeDownloader({ proxies }).download(request());
    await expectInstalled();
    expect(proxy.log.some((line) => line.startsWith(`GET ${hub.hubUrl}/${hub.repo}/resolve/`))).toBe(true);
    expect(proxy.log.some((line) => line.startsWith(`GET ${hub.cdnUrl}/blobs/`))).toBe(true);
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    const proxies = proxySettingsFromEnv({ http_proxy: proxy.url, no_proxy: 'example.org, 127.0.0.1' });
    await makeDownloader({ proxies }).download(request());
    await expectInstalled();
    expect(proxy.log).toEqual([]);
  });

  it('tunnels https through HTTPS_PROXY with CONNECT', async () => {
    await hub.stop();
    hub = await new FakeHub(FILES, { secure: true }).start();
    const proxies = proxySettingsFromEnv({ HTTPS_PROXY: proxy.url });
    await makeDownloader({ proxies, ca: TLS_CERT }).download(request());
    await expectInstalled();
    const hubPort = new URL(hub.hubUrl).port;
    const cdnPort = new URL(hub.cdnUrl).port;
    expect(proxy.log).toContain(`CONNECT 127.0.0.1:${hubPort}`);
    expect(proxy.log).toContain(`CONNECT 127.0.0.1:${cdnPort}`);
    expect(proxy.log.every((line) => line.startsWith('CONNECT'))).toBe(true);
  });

  it('refuses an https server whose certificate is not trusted, with a typed error', async () => {
    await hub.stop();
    hub = await new FakeHub(FILES, { secure: true }).start();
    const error = await caught(makeDownloader().download(request()));
    expect(error.code).toBe('network');
    expect(error.message).toMatch(/certificate .* not trusted/);
  });
});
