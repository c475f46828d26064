import { describe, expect, it } from 'vitest';
import { TLS_CERT } from '../../fixtures/hub/fake-hub';
import { caught, useHubSession } from './hub-session';

const session = useHubSession();

describe('the hub token', () => {
  it('goes over https to the hub only, never on to the CDN on another host', async () => {
    await session.restart({ secure: true, cdnHost: 'localhost' });
    const { hub } = session;
    hub.misbehaviour = { gatedToken: 'hf_secret' };
    await session.downloader({ ca: TLS_CERT, token: 'hf_secret' }).download(session.request());
    const toHub = hub.requests.filter((r) => r.server === 'hub');
    const toCdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(toCdn.length).toBeGreaterThan(0);
    expect(toHub.every((r) => r.headers.authorization === 'Bearer hf_secret')).toBe(true);
    expect(toCdn.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(toCdn.every((r) => r.headers.host?.startsWith('localhost:'))).toBe(true);
  });

  it('is never sent to an http hub address, and the refusal says why', async () => {
    const { hub } = session;
    hub.misbehaviour = { gatedToken: 'hf_secret' };
    const error = await caught(session.downloader({ token: 'hf_secret' }).download(session.request()));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(
      `Tiny model is gated, and Easel sends the access token only over https: the hub address ${hub.hubUrl} is not https. Use an https hub address in Settings.`,
    );
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });
});

describe('redirects', () => {
  it.each(['file:///etc/passwd', 'ftp://files.example/model.onnx', 'javascript:alert(1)', 'data:text/plain,hello'])(
    'to %s stop the download at once with the scheme named',
    async (location) => {
      session.hub.misbehaviour = { redirectTo: location };
      const scheme = location.slice(0, location.indexOf(':'));
      const started = Date.now();
      const error = await caught(session.downloader().download(session.request()));
      expect(error.code).toBe('download_failed');
      expect(error.message).toMatch(
        new RegExp(`^Downloading \\S+ stopped: 127\\.0\\.0\\.1:\\d+ redirected to a "${scheme}:" address\\. Easel follows only http and https links`),
      );
      expect(error.detail).toMatchObject({ scheme });
      expect(session.sleeps).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1_000);
    },
  );

  it('in a circle stop after ten, without retries', async () => {
    session.hub.misbehaviour = { redirectLoop: true };
    const error = await caught(session.downloader().download(session.request({ files: [{ path: 'unet/model.onnx' }] })));
    expect(error.code).toBe('download_failed');
    expect(error.message).toBe(
      'Downloading unet/model.onnx stopped: the server sent Easel through more than 10 redirects (it may be redirecting in a circle). Check the hub address in Settings.',
    );
    expect(session.hub.requests).toHaveLength(11);
    expect(session.sleeps).toEqual([]);
  });
});
