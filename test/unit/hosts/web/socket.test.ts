import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_SOCKET_MESSAGE_BYTES } from '../../../../src-main/hosts/web/socket';
import type { WebHost } from '../../../../src-main/hosts/web-server';
import { call, startHostWithStaticFiles } from '../../../helpers/raw-http';
import { useTempDirs } from '../../../helpers/temp';

const tempDir = useTempDirs();
let web: WebHost | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

async function open(host: WebHost): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
  await new Promise((resolve, reject) => {
    socket.on('open', resolve);
    socket.on('error', reject);
  });
  return socket;
}

const closeCode = (socket: WebSocket) => new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));

describe('the event socket', () => {
  it('pushes events over a WebSocket that carries the token, and refuses one that does not', async () => {
    const host = (web = await startHostWithStaticFiles(await tempDir()));
    const refused = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`);
    const refusal = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(refusal).toBe(401);

    const socket = await open(host);
    const message = new Promise<unknown>((resolve) => socket.on('message', (data) => resolve(JSON.parse(String(data)))));
    await call(host, 'settings.update', { theme: 'dark' });
    expect(await message).toMatchObject({ event: 'settings.changed', payload: { theme: 'dark', hubTokenSet: false } });
    socket.close();
  });

  it('closes a socket that sends more than 1 MB with 1009 and keeps serving the others', async () => {
    const host = (web = await startHostWithStaticFiles(await tempDir()));
    const bystander = await open(host);
    const attacker = await open(host);
    attacker.on('error', () => undefined);
    const closed = closeCode(attacker);
    attacker.send(Buffer.alloc(MAX_SOCKET_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);

    const message = new Promise<unknown>((resolve) => bystander.on('message', (data) => resolve(JSON.parse(String(data)))));
    await call(host, 'settings.update', { theme: 'light' });
    expect(await message).toMatchObject({ event: 'settings.changed' });
    bystander.close();
  });
});
