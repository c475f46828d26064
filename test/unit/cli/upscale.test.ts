import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { runUpscaleCommand } from '../../../src-main/cli/upscale';
import { addPngTextChunks, readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { lanczosUpscale } from '../../../src-main/core/upscale/resample';
import { buildUpscaler } from '../../fixtures/onnx/upscaler';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();
let scratch: string;
let modelsDir: string;
let sourceFile: string;
let sourceRgb: Buffer;

beforeEach(async () => {
  scratch = await tempDir();
  modelsDir = path.join(scratch, 'models');
  await mkdir(path.join(modelsDir, 'tiny-x2'), { recursive: true });
  await writeFile(path.join(modelsDir, 'tiny-x2', 'model.onnx'), buildUpscaler(2).model);
  const pixels = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  sourceRgb = pixels;
  const png = await sharp(pixels, { raw: { width: 40, height: 30, channels: 3 } }).png().toBuffer();
  sourceFile = path.join(scratch, 'source.png');
  await writeFile(sourceFile, addPngTextChunks(png, { parameters: 'a red cat\nSteps: 2, Seed: 7, Size: 40x30' }));
});

function captureIo() {
  let stdout = '';
  let stderr = '';
  return {
    io: { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, modelDirs: [modelsDir] },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('easel upscale', () => {
  it('enlarges with an installed upscaler by id, tile by tile, keeping the source parameters', async () => {
    const out = path.join(scratch, 'x2.png');
    const { io, out: stdout } = captureIo();
    expect(await runUpscaleCommand(['--model', 'tiny-x2', '--scale', '2', sourceFile, out], io)).toBe(0);
    const png = await readFile(out);
    expect(await sharp(png).metadata()).toMatchObject({ width: 80, height: 60, format: 'png' });
    const text = readPngTextChunks(png);
    expect(text['parameters']).toBe('a red cat\nSteps: 2, Seed: 7, Size: 40x30');
    expect(text['postprocessing']).toBe('Postprocess upscale by: 2, Postprocess upscaler: tiny-x2');
    expect(stdout()).toContain('tile 1/1');
    expect(stdout()).toContain('upscaler tiny-x2');
  });

  it('uses the built-in upscaler for the scale by default', async () => {
    const out = path.join(scratch, 'builtin.png');
    const { io, out: stdout } = captureIo();
    const builtinDir = path.join(__dirname, '../../../resources/models');
    expect(await runUpscaleCommand(['--scale', '2', sourceFile, out], { ...io, modelDirs: [modelsDir, builtinDir] })).toBe(0);
    expect(stdout()).toContain('80×60, upscaler esrgan-slim-x2');
  });

  it('uses Lanczos when no upscaler is installed and says so', async () => {
    const out = path.join(scratch, 'lanczos.png');
    const { io, out: stdout } = captureIo();
    expect(await runUpscaleCommand(['--scale', '4', sourceFile, out], io)).toBe(0);
    const decoded = await sharp(await readFile(out)).raw().toBuffer();
    const expected = await lanczosUpscale({ data: new Uint8Array(sourceRgb), width: 40, height: 30 }, 4);
    expect(Buffer.from(expected.data).equals(decoded)).toBe(true);
    expect(stdout()).toContain('upscaler Lanczos');
    expect(readPngTextChunks(await readFile(out))['postprocessing']).toBe('Postprocess upscale by: 4, Postprocess upscaler: Lanczos');
  });

  it('names the field for an unknown model, a non-image, a target past the limit and an existing output', async () => {
    const notImage = path.join(scratch, 'notes.png');
    await writeFile(notImage, 'not a picture');
    const big = path.join(scratch, 'big.png');
    await sharp({ create: { width: 5000, height: 8, channels: 3, background: '#808080' } }).png().toFile(big);
    const cases: [string[], RegExp][] = [
      [['--model', 'nope', '--scale', '2', sourceFile, path.join(scratch, 'a.png')], /model: no upscaler named "nope"/],
      [['--scale', '2', notImage, path.join(scratch, 'b.png')], /image: not a PNG, JPEG or WebP/],
      [['--scale', '4', big, path.join(scratch, 'c.png')], /scale: 5000×8 enlarged 4× would be 20000×32; at most 16384/],
      [['--scale', '2', sourceFile, sourceFile], /OUT: .* already exists/],
    ];
    for (const [args, message] of cases) {
      const { io, err } = captureIo();
      expect(await runUpscaleCommand(args, io)).toBe(1);
      expect(err()).toMatch(message);
    }
    const { io, err } = captureIo();
    expect(await runUpscaleCommand(['--scale', '3', sourceFile, path.join(scratch, 'd.png')], io)).toBe(2);
    expect(err()).toContain('--scale must be 2 or 4');
  });
});
