import zlib from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import {
  addPngTextChunks,
  crc32,
  readPngChunks,
  readPngSize,
  readPngTextChunks,
} from '../../../src-main/core/gallery/png-text';

/** A chunk built by hand (length, type, data, CRC from zlib when this Node has it) to test the reader alone. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.from(type, 'latin1'), data), 0);
  return Buffer.concat([head, data, crc]);
}

function insertBeforeIdat(png: Buffer, ...chunks: Buffer[]): Buffer {
  const idat = readPngChunks(png).find((c) => c.type === 'IDAT')!;
  return Buffer.concat([png.subarray(0, idat.offset), ...chunks, png.subarray(idat.offset)]);
}

function expectImageInvalid(action: () => unknown, reason: string): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(EaselError);
    expect((error as EaselError).code).toBe('image_invalid');
    expect((error as EaselError).detail).toMatchObject({ reason });
    return;
  }
  throw new Error('expected an image_invalid error');
}

let png: Buffer;

beforeAll(async () => {
  png = await sharp({ create: { width: 7, height: 5, channels: 3, background: { r: 200, g: 30, b: 90 } } })
    .png()
    .toBuffer();
});

describe('crc32', () => {
  it('matches the standard check value and zlib', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = Buffer.from('IEND and some more bytes \u00ff', 'latin1');
    const zlibCrc = (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32;
    if (zlibCrc) expect(crc32(data)).toBe(zlibCrc(data));
    expect(crc32(data.subarray(0, 4), data.subarray(4))).toBe(crc32(data));
  });
});

describe('addPngTextChunks / readPngTextChunks', () => {
  it('round-trips Latin-1 as tEXt and other text as iTXt, before IDAT, and the image still decodes', async () => {
    const entries = {
      parameters: 'a cat, (masterpiece:1.2)\nNegative prompt: dog\nSteps: 20, Seed: 1',
      easel: JSON.stringify({ prompt: 'café ☕ 猫 — emoji 🐈' }),
      Comment: 'déjà vu',
    };
    const out = addPngTextChunks(png, entries);
    const chunks = readPngChunks(out);
    const types = chunks.map((c) => c.type);
    const firstIdat = types.indexOf('IDAT');
    expect(types.slice(firstIdat - 3, firstIdat)).toEqual(['tEXt', 'iTXt', 'tEXt']);
    expect(types.filter((type) => /^(tEXt|iTXt|zTXt)$/.test(type))).toHaveLength(3);
    expect(readPngTextChunks(out)).toEqual(entries);

    const decoded = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: 7, height: 5 });
    expect([...decoded.data.subarray(0, 3)]).toEqual([200, 30, 90]);
    expect(readPngSize(out)).toEqual({ width: 7, height: 5 });
  });

  it('replaces text chunks with the same keyword instead of adding a second one', () => {
    const once = addPngTextChunks(png, { parameters: 'old', other: 'kept' });
    const twice = addPngTextChunks(once, { parameters: 'new' });
    expect(readPngTextChunks(twice)).toEqual({ parameters: 'new', other: 'kept' });
    expect(readPngChunks(twice).filter((c) => c.type === 'tEXt')).toHaveLength(2);
  });

  it('rejects keywords PNG does not allow', () => {
    for (const keyword of ['', ' lead', 'trail ', 'two  spaces', 'x'.repeat(80), 'ümlaut\u0100']) {
      expect(() => addPngTextChunks(png, { [keyword]: 'x' })).toThrow(EaselError);
    }
  });

  it('reads zTXt and compressed iTXt written by other tools', () => {
    const software = 'Created with GIMP, café';
    const ztxt = chunk(
      'zTXt',
      Buffer.concat([Buffer.from('Software\0\0', 'latin1'), zlib.deflateSync(Buffer.from(software, 'latin1'))]),
    );
    const itxt = chunk(
      'iTXt',
      Buffer.concat([Buffer.from('prompt\0\x01\x00en\0Prompt\0', 'latin1'), zlib.deflateSync(Buffer.from('{"3":"ノード"}'))]),
    );
    const text = readPngTextChunks(insertBeforeIdat(png, ztxt, itxt));
    expect(text).toEqual({ Software: software, prompt: '{"3":"ノード"}' });
  });

  it('keeps a "__proto__" keyword as plain data', () => {
    const text = readPngTextChunks(addPngTextChunks(png, { ['__proto__']: 'b' }));
    expect(Object.getPrototypeOf(text)).toBe(Object.prototype);
    expect(Object.keys(text)).toEqual(['__proto__']);
  });
});

describe('damaged files', () => {
  it('rejects a file that is not a PNG', () => {
    expectImageInvalid(() => readPngTextChunks(Buffer.from('GIF89a not a png at all')), 'signature');
  });

  it('rejects a truncated PNG', () => {
    const full = addPngTextChunks(png, { parameters: 'x' });
    expectImageInvalid(() => readPngTextChunks(full.subarray(0, full.length - 6)), 'truncated');
    expectImageInvalid(() => readPngTextChunks(full.subarray(0, 40)), 'truncated');
  });

  it('rejects a chunk whose CRC does not match', () => {
    const full = Buffer.from(addPngTextChunks(png, { parameters: 'Steps: 20' }));
    const text = readPngChunks(full).find((c) => c.type === 'tEXt')!;
    full.writeUInt8(full.readUInt8(text.offset + 20) ^ 0x20, text.offset + 20); // flip a bit inside the text
    expectImageInvalid(() => readPngTextChunks(full), 'crc');
  });

  it('rejects a compressed text chunk that does not inflate', () => {
    const bad = chunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), Buffer.from('not zlib data')]));
    expectImageInvalid(() => readPngTextChunks(insertBeforeIdat(png, bad)), 'inflate');
  });
});
