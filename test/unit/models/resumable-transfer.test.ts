import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MANIFEST_NAME, readManifest } from '../../../src-main/core/models/manifest';
import { sha256 } from '../../fixtures/hub/fake-hub';
import { caught, FILES, filesUnder, useHubSession } from './hub-session';

const session = useHubSession();

/** A hostile download server: each case ends in a clear message, and files finished before stay. */
async function expectRefusedKeepingFinishedFiles(message: RegExp): Promise<void> {
  const error = await caught(session.downloader().download(session.request()));
  expect(error.code).toBe('checksum_mismatch');
  expect(error.message).toMatch(message);
  const folder = path.join(session.dir, 'tiny');
  // model_index.json came first, straight from the hub; the CDN's first file is the one refused.
  expect(await filesUnder(folder)).toEqual([MANIFEST_NAME, 'model_index.json'].sort());
  expect((await fsp.readFile(path.join(folder, 'model_index.json'))).equals(FILES[0]!.content)).toBe(true);
  const manifest = await readManifest(folder);
  expect(manifest?.files).toEqual({ 'model_index.json': { bytes: FILES[0]!.content.length, sha256: sha256(FILES[0]!.content) } });
  expect(session.sleeps).toEqual([]);
}

describe('a hostile download server', () => {
  it('announcing a Content-Length beyond the published size is refused before a byte is written', async () => {
    session.hub.misbehaviour = { contentLength: 10_000_000_000 };
    await expectRefusedKeepingFinishedFiles(/^The downloaded unet\/model\.onnx is longer than the hub says, so it was deleted\./);
  });

  it('sending more bytes than the published size is stopped there', async () => {
    session.hub.misbehaviour = { extraBytes: 100_000 };
    await expectRefusedKeepingFinishedFiles(/^The downloaded unet\/model\.onnx is longer than the hub says, so it was deleted\./);
  });

  it('giving another total in Content-Range when resuming is refused', async () => {
    // A partial from an earlier run, so the first request for it asks for the rest.
    const target = path.join(session.dir, 'tiny', 'unet', 'model.onnx');
    const content = FILES[1]!.content;
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(`${target}.partial`, content.subarray(0, 20_000));
    await fsp.writeFile(`${target}.partial.json`, JSON.stringify({ url: 'x', bytes: 20_000, expectedSha256: sha256(content), updatedAt: '' }));
    session.hub.misbehaviour = { rangeTotal: 5_000_000 };
    const error = await caught(session.downloader().download(session.request()));
    expect(error.code).toBe('checksum_mismatch');
    expect(error.message).toMatch(
      /^The downloaded unet\/model\.onnx is 5000000 bytes long according to the download server, but 48000 according to the hub, so it was deleted\./,
    );
    expect(session.hub.cdnRequests().map((r) => r.headers.range)).toEqual(['bytes=20000-']);
    expect(await filesUnder(path.join(session.dir, 'tiny'))).toEqual([MANIFEST_NAME, 'model_index.json'].sort());
    expect(session.sleeps).toEqual([]);
  });
});

describe('a server that states no size', () => {
  it('sending without end is stopped past twice the catalog estimate', async () => {
    session.hub.misbehaviour = { endlessBody: true };
    const request = session.request({ files: [{ path: 'unet/model.onnx', approxBytes: 48_000 }] });
    const error = await caught(session.downloader().download(request));
    expect(error.code).toBe('checksum_mismatch');
    expect(error.message).toMatch(
      /^The downloaded unet\/model\.onnx has no published size and grew past 1\.1 MB, far beyond the catalog's estimate, so it was deleted\./,
    );
    // Nothing of it is kept: no partial to resume from.
    expect(await filesUnder(path.join(session.dir, 'tiny'))).toEqual([]);
    expect(session.sleeps).toEqual([]);
  });
});
