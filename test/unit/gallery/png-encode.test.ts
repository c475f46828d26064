import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { formatA1111Parameters } from '../../../src-main/core/gallery/a1111';
import { readEaselMetadata } from '../../../src-main/core/gallery/easel-metadata';
import { encodePngWithParameters } from '../../../src-main/core/gallery/png-encode';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { imageMeta } from './fixtures';

describe('encodePngWithParameters', () => {
  it('keeps the pixels exactly and embeds the A1111 text and the full metadata', async () => {
    const rgb = new Uint8Array(5 * 3 * 3).map((_, i) => (i * 37) & 0xff);
    const meta = imageMeta({ width: 5, height: 3 });
    const png = await encodePngWithParameters({ rgb, width: 5, height: 3 }, meta);
    const decoded = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: 5, height: 3, channels: 3 });
    expect(Buffer.compare(decoded.data, Buffer.from(rgb))).toBe(0);
    const chunks = readPngTextChunks(png);
    expect(chunks.parameters).toBe(formatA1111Parameters(meta));
    expect(readEaselMetadata(chunks)).toEqual(meta);
  });

  it('refuses pixels that do not fill the size, and sizes that are not whole and positive', async () => {
    for (const [length, width, height] of [
      [10, 5, 3],
      [0, 0, 0],
      [6, 1.5, 1],
    ] as const) {
      const error = await encodePngWithParameters({ rgb: new Uint8Array(length), width, height }, imageMeta()).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(EaselError);
      expect((error as EaselError).code).toBe('invalid_request');
    }
  });
});
