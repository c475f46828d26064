import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Easel } from '../../../src-main/core/easel';
import type { WebHost } from '../../../src-main/hosts/web-server';
import type { ImportProgress, ModelSummary, Result } from '../../../src-preload/api';
import { writeTinyCheckpoint } from '../../fixtures/checkpoints';
import { f32, safetensorsBytes } from '../../fixtures/safetensors';
import { startTestHost } from '../../helpers/web-host';

let easel: Easel;
let web: WebHost;
let dataDir: string;
let checkpoint: Buffer;
const progress: ImportProgress[] = [];

beforeAll(async () => {
  // One data folder for the whole file: the uploads share one models folder, as in one app run.
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'easel-import-upload-'));
  ({ easel, web } = await startTestHost(dataDir, dataDir));
  easel.events.subscribe((event, payload) => {
    if (event === 'models.importProgress') progress.push(payload as ImportProgress);
  });
  const file = path.join(dataDir, 'tiny.safetensors');
  await writeTinyCheckpoint(file, 'sd1', { dtype: 'F16' });
  checkpoint = await readFile(file);
});

afterAll(async () => {
  await web.close();
  await easel.shutdown();
  await rm(dataDir, { recursive: true, force: true });
});

const modelsDir = () => path.join(dataDir, 'models');
const leftovers = async () => (await readdir(modelsDir()).catch(() => [] as string[])).filter((name) => name.startsWith('.'));

/** Sends `body` as the web page does: the request in the address, the file as the body. */
async function upload(request: Record<string, unknown>, body: Uint8Array): Promise<Result<ModelSummary>> {
  const url = new URL('/api/upload/models.importCheckpoint', web.url);
  url.search = new URLSearchParams({ request: JSON.stringify(request) }).toString();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'x-easel-token': web.token, 'content-type': 'application/octet-stream' },
    body,
  });
  return (await response.json()) as Result<ModelSummary>;
}

describe('uploading a checkpoint to the web host', () => {
  it('receives, converts and installs it, reporting every stage in order, and keeps no upload', async () => {
    const result = await upload({ importId: 'upload-ok-1', fileName: 'Night Owl v3.safetensors', size: checkpoint.length }, new Uint8Array(checkpoint));
    if (!result.ok) throw new Error(result.error.message);
    expect(result).toMatchObject({ ok: true, value: { id: 'night-owl-v3', name: 'Night Owl v3', origin: 'imported', state: 'installed' } });

    const ours = progress.filter((event) => event.importId === 'upload-ok-1');
    expect(ours[0]).toMatchObject({ fileName: 'Night Owl v3.safetensors', index: 0, bytes: 0, totalBytes: checkpoint.length });
    expect(ours.some((event) => event.stages[event.index]?.stage === 'receiving' && event.bytes === checkpoint.length)).toBe(true);
    const final = ours.at(-1)!;
    expect(final.stages.map((stage) => stage.stage)).toEqual([
      'receiving',
      'checking',
      'reading',
      'text_encoder',
      'unet',
      'vae_decoder',
      'vae_encoder',
      'writing',
      'verifying',
      'installing',
    ]);
    expect(ours.map((event) => event.stages[event.index]!.stage).filter((stage, i, all) => stage !== all[i - 1])).toEqual(
      final.stages.map((stage) => stage.stage),
    );
    expect(await leftovers()).toEqual([]);
    const manifest = JSON.parse(await readFile(path.join(modelsDir(), 'night-owl-v3', 'easel-manifest.json'), 'utf8')) as {
      source: { path: string };
      checkpoint: { file: string };
    };
    expect(manifest.source.path).toBe('Night Owl v3.safetensors');
    expect(manifest.checkpoint.file).toBe('Night Owl v3.safetensors');
  }, 120_000);

  it('refuses a pickle renamed .safetensors from its first bytes, naming the file, and keeps nothing', async () => {
    const pickle = Buffer.concat([Buffer.from([0x80, 0x02, 0x7d, 0x71]), Buffer.alloc(4096)]);
    const result = await upload({ importId: 'upload-pickle', fileName: 'model.safetensors', size: pickle.length }, new Uint8Array(pickle));
    expect(result).toMatchObject({ ok: false, error: { code: 'model_unsafe' } });
    expect(!result.ok && result.error.message).toMatch(/^model\.safetensors is a PyTorch pickle/);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a truncated file, a header that lies and keys of an unknown architecture, keeping nothing', async () => {
    const truncated = checkpoint.subarray(0, Math.floor(checkpoint.length / 2));
    const lying = Buffer.from(checkpoint);
    lying.writeBigUInt64LE(BigInt(lying.length * 2));
    const unknown = safetensorsBytes({ 'encoder.layers.0.weight': f32([1, 2, 3, 4], [2, 2]) });
    for (const [fileName, bytes, pattern] of [
      ['truncated.safetensors', truncated, /truncated\.safetensors is not a valid safetensors file/],
      ['lying.safetensors', lying, /lying\.safetensors is not a valid safetensors file: its header claims/],
      ['text-model.safetensors', unknown, /text-model\.safetensors is not a Stable Diffusion checkpoint Easel can convert/],
    ] as const) {
      const result = await upload({ importId: `upload-${fileName.split('.')[0]}`, fileName, size: bytes.length }, new Uint8Array(bytes));
      expect(result).toMatchObject({ ok: false, error: { code: 'model_invalid' } });
      expect(!result.ok && result.error.message).toMatch(pattern);
    }
    expect(await leftovers()).toEqual([]);
  });

  it('refuses an import id used before, so a request sent again does not start a finished or cancelled import over', async () => {
    const result = await upload({ importId: 'upload-ok-1', fileName: 'again.safetensors', size: checkpoint.length }, new Uint8Array(checkpoint));
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', message: 'An import called upload-ok-1 was started already.' } });
    expect((await easel.models.list()).some((model) => model.id.startsWith('again'))).toBe(false);
  });

  it('refuses an upload whose body is not the size its request names', async () => {
    const result = await upload({ importId: 'upload-size', fileName: 'tiny.safetensors', size: checkpoint.length + 1 }, new Uint8Array(checkpoint));
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await leftovers()).toEqual([]);
  });

  it('stops receiving when the import is cancelled, and keeps nothing', async () => {
    const url = new URL('/api/upload/models.importCheckpoint', web.url);
    const request = { importId: 'upload-cancel', fileName: 'slow.safetensors', size: checkpoint.length };
    url.search = new URLSearchParams({ request: JSON.stringify(request) }).toString();
    // The first 4 KB are sent and the rest never is: the cancel must not wait for it.
    const sending = http.request(url, { method: 'POST', headers: { 'x-easel-token': web.token, 'content-length': checkpoint.length } });
    const answered = new Promise<Result<ModelSummary> | null>((resolve) => {
      sending.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => resolve(JSON.parse(text) as Result<ModelSummary>));
      });
      sending.on('error', () => resolve(null));
    });
    sending.write(checkpoint.subarray(0, 4096));
    await expect.poll(() => progress.some((event) => event.importId === 'upload-cancel' && (event.bytes ?? 0) > 0)).toBe(true);

    const cancel = await fetch(new URL('/api/call/models.cancelImport', web.url), {
      method: 'POST',
      headers: { 'x-easel-token': web.token, 'content-type': 'application/json' },
      body: JSON.stringify({ importId: 'upload-cancel' }),
    });
    expect(await cancel.json()).toEqual({ ok: true, value: { cancelled: true } });
    expect(await answered).toMatchObject({ ok: false, error: { code: 'cancelled', message: 'The import of slow.safetensors was cancelled; nothing was kept.' } });
    sending.destroy();
    expect(await leftovers()).toEqual([]);
  });
});
