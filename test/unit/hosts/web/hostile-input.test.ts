import { afterEach, describe, expect, it } from 'vitest';
import type { WebHost } from '../../../../src-main/hosts/web-server';
import { call, sendRaw, startHostWithStaticFiles } from '../../../helpers/raw-http';
import { useTempDirs } from '../../../helpers/temp';

const tempDir = useTempDirs();
let web: WebHost | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

const MALFORMED_TARGETS = ['http://[', '//[', 'http://a:99999/', '*'];

function upgrade(target: string, port: number, token?: string): string {
  const query = token ? `${target.includes('?') ? '&' : '?'}token=${token}` : '';
  return (
    `GET ${target}${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
  );
}

/** One client frame (clients must mask): FIN set, the given opcode, a payload length of up to 64 bits. */
function frame(opcode: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  let header: Buffer;
  if (declaredLength < 126) header = Buffer.from([0x80 | opcode, 0x80 | declaredLength]);
  else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(declaredLength), 2);
  }
  const masked = Buffer.from(payload.map((byte, index) => byte ^ (mask[index % 4] as number)));
  return Buffer.concat([header, mask, masked]);
}

/** Close code from the first server frame after a 101 answer, or null when there was none. */
function closeCodeAfterUpgrade(answer: string): number | null {
  const start = answer.indexOf('\r\n\r\n');
  if (!answer.startsWith('HTTP/1.1 101') || start < 0) return null;
  const bytes = Buffer.from(answer.slice(start + 4), 'latin1');
  return bytes[0] === 0x88 ? bytes.readUInt16BE(2) : null;
}

describe('the web host under hostile input', () => {
  it('answers every malformed or hostile input with an error and then still serves a real call', async () => {
    const host = (web = await startHostWithStaticFiles(await tempDir()));
    const { port, token } = host;
    const hostHeader = `Host: 127.0.0.1:${port}\r\nConnection: close`;

    for (const target of MALFORMED_TARGETS) {
      // Without and with the token: the target is refused before anything else looks at it.
      expect(await sendRaw(port, `GET ${target} HTTP/1.1\r\n${hostHeader}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
      expect(await sendRaw(port, `GET ${target} HTTP/1.1\r\n${hostHeader}\r\nx-easel-token: ${token}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
      expect(await sendRaw(port, upgrade(target, port))).toMatch(/^HTTP\/1\.1 400/);
    }

    // Not HTTP at all, a header without a Host, a half-sent request, a bad upgrade.
    expect(await sendRaw(port, '\u0000\u0001garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await sendRaw(port, 'GET / HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    await sendRaw(port, `POST /api/call/app.info HTTP/1.1\r\n${hostHeader}\r\nContent-Length: 100\r\n\r\n{`, 100);
    const badVersion = upgrade('/api/events', port, token).replace('Version: 13', 'Version: 99');
    expect(await sendRaw(port, badVersion)).toMatch(/^HTTP\/1\.1 400/);
    expect(await sendRaw(port, upgrade('/api/nothing', port, token))).toMatch(/^HTTP\/1\.1 404/);

    // Authenticated sockets that send an oversized frame or invalid UTF-8 get a typed close.
    const oversized = frame(0x2, Buffer.alloc(16), 2 * 1024 * 1024);
    expect(closeCodeAfterUpgrade(await sendRaw(port, Buffer.concat([Buffer.from(upgrade('/api/events', port, token)), oversized])))).toBe(1009);
    const invalidText = frame(0x1, Buffer.from([0xc3, 0x28, 0xff]));
    expect(closeCodeAfterUpgrade(await sendRaw(port, Buffer.concat([Buffer.from(upgrade('/api/events', port, token)), invalidText])))).toBe(1007);

    const reply = await call(host, 'app.info', {});
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: true, value: { name: 'Easel' } });
  });
});
