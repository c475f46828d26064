import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGenerateCommand } from '../../../src-main/cli/generate';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { fixtureModel } from '../../fixtures/models';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'easel-cli-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function captureIo() {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      dataDir: path.join(scratch, 'data'),
    },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('easel generate', () => {
  it('writes PNGs with the parameters embedded and prints the provider and timings', async () => {
    const model = await fixtureModel('sd15-optimum');
    const out = path.join(scratch, 'images');
    const { io, out: stdout } = captureIo();
    const args = ['--model', model, '--prompt', 'a red cat', '--negative', 'blurry', '--steps', '2', '--size', '64x64'];
    const code = await runGenerateCommand([...args, '--seed', '7', '--count', '2', '--scheduler', 'ddim', '--out', out], io);
    expect(code).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['easel-7.png', 'easel-8.png']);
    const png = await readFile(path.join(out, 'easel-7.png'));
    expect(await sharp(png).metadata()).toMatchObject({ width: 64, height: 64, format: 'png' });
    const chunks = readPngTextChunks(png);
    expect(chunks['parameters']).toBe(
      'a red cat\nNegative prompt: blurry\nSteps: 2, Sampler: DDIM, CFG scale: 7.5, Seed: 7, Size: 64x64, Model: sd15-optimum, Version: Easel',
    );
    const easel = JSON.parse(chunks['easel']!);
    expect(easel).toMatchObject({ provider: 'cpu', seed: '7', placeholder: false, scheduler: 'ddim', modelId: model });
    expect(stdout()).toContain('provider cpu');
    expect(stdout()).toMatch(/denoise [\d.]+ ms = [\d.]+ ms\/step/);

    // Writing again never replaces an image.
    expect(await runGenerateCommand([...args, '--seed', '7', '--out', out], io)).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['easel-7-1.png', 'easel-7.png', 'easel-8.png']);
  });

  it('starts from an image with --init-image and records the strength', async () => {
    const out = path.join(scratch, 'img2img');
    const init = path.join(scratch, 'init.png');
    await sharp({ create: { width: 80, height: 48, channels: 3, background: { r: 200, g: 40, b: 90 } } })
      .png()
      .toFile(init);
    const { io } = captureIo();
    const model = await fixtureModel('sd15-legacy');
    const args = ['--model', model, '--prompt', 'x', '--steps', '4', '--size', '64x64', '--seed', '3'];
    expect(await runGenerateCommand([...args, '--init-image', init, '--strength', '0.5', '--out', out], io)).toBe(0);
    const chunks = readPngTextChunks(await readFile(path.join(out, 'easel-3.png')));
    expect(chunks['parameters']).toContain('Denoising strength: 0.5');
  });

  it('inpaints with --mask at the image size, keeping the unmasked pixels, and records A1111 inpaint fields', async () => {
    const out = path.join(scratch, 'inpaint');
    const init = path.join(scratch, 'inpaint-init.png');
    const mask = path.join(scratch, 'inpaint-mask.png');
    const raw = Buffer.from(Array.from({ length: 72 * 64 * 3 }, (_, i) => (i * 29) % 256));
    await sharp(raw, { raw: { width: 72, height: 64, channels: 3 } }).png().toFile(init);
    // Half the size of the image, white (repaint) on the right half.
    const maskRaw = Buffer.from(Array.from({ length: 36 * 32 }, (_, i) => (i % 36 >= 18 ? 255 : 0)));
    await sharp(maskRaw, { raw: { width: 36, height: 32, channels: 1 } }).png().toFile(mask);
    const { io } = captureIo();
    const model = await fixtureModel('sd15-inpaint-optimum');
    const args = ['--model', model, '--prompt', 'x', '--steps', '2', '--seed', '5', '--init-image', init, '--mask', mask];
    expect(await runGenerateCommand([...args, '--mask-blur', '0', '--out', out], io)).toBe(0);
    const png = await readFile(path.join(out, 'easel-5.png'));
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([72, 64]);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 34; x++) {
        const p = (y * 72 + x) * 3;
        expect([...data.subarray(p, p + 3)]).toEqual([...raw.subarray(p, p + 3)]);
      }
    }
    expect(readPngTextChunks(png)['parameters']).toContain('Size: 72x64, Model: sd15-inpaint-optimum, Denoising strength: 1, Mask blur: 0, Masked content: original');
  });

  it('outpaints with --outpaint onto a canvas the image size plus the extents', async () => {
    const out = path.join(scratch, 'outpaint');
    const init = path.join(scratch, 'outpaint-init.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 20, g: 140, b: 90 } } }).png().toFile(init);
    const { io } = captureIo();
    const model = await fixtureModel('sd15-optimum');
    const args = ['--model', model, '--prompt', 'x', '--steps', '2', '--seed', '6', '--init-image', init, '--outpaint', '0,0,32,8'];
    expect(await runGenerateCommand([...args, '--out', out], io)).toBe(0);
    const meta = await sharp(await readFile(path.join(out, 'easel-6.png'))).metadata();
    expect([meta.width, meta.height]).toEqual([96, 72]);
  });

  it('names the flag of a bad mask', async () => {
    const init = path.join(scratch, 'errors-init.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toFile(init);
    const wide = path.join(scratch, 'wide-mask.png');
    await sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toFile(wide);
    const black = path.join(scratch, 'black-mask.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toFile(black);
    const text = path.join(scratch, 'mask.txt');
    await writeFile(text, 'not an image');
    const model = await fixtureModel('sd15-optimum');
    const base = ['--model', model, '--prompt', 'x', '--steps', '2', '--init-image', init, '--out', path.join(scratch, 'o')];
    for (const [mask, message] of [
      [wide, '--mask: The mask is 64x32 but the image is 64x64'],
      [black, '--mask: The mask is empty'],
      [text, '--mask: The mask could not be read'],
    ] as const) {
      const { io, err } = captureIo();
      expect(await runGenerateCommand([...base, '--mask', mask], io)).toBe(2);
      expect(err()).toContain(message);
    }
    const { io, err } = captureIo();
    expect(await runGenerateCommand([...base.slice(0, 6), '--init-image', text, '--out', 'o'], io)).toBe(2);
    expect(err()).toContain('--init-image:');
  });

  it('decodes with the tiny decoder for --decoder tiny and records it as A1111 does', async () => {
    const out = path.join(scratch, 'tiny');
    const { io } = captureIo();
    const model = await fixtureModel('sd15-optimum', { tinyDecoder: true });
    const args = ['--model', model, '--prompt', 'x', '--steps', '2', '--size', '64x64', '--seed', '5', '--decoder', 'tiny'];
    expect(await runGenerateCommand([...args, '--out', out], io)).toBe(0);
    const chunks = readPngTextChunks(await readFile(path.join(out, 'easel-5.png')));
    expect(chunks['parameters']).toContain('VAE Decoder: TAESD');
    expect(JSON.parse(chunks['easel']!)).toMatchObject({ decoder: 'tiny' });
  });

  it('exits 3 and says so when only a placeholder could be drawn', async () => {
    const out = path.join(scratch, 'placeholder');
    const { io, out: stdout } = captureIo();
    const model = await fixtureModel('sd15-optimum', { nan: true });
    const code = await runGenerateCommand(['--model', model, '--prompt', 'x', '--steps', '2', '--size', '64x64', '--provider', 'cpu', '--out', out], io);
    expect(code).toBe(3);
    expect(stdout()).toContain('PLACEHOLDER');
    const [file] = await readdir(out);
    expect(JSON.parse(readPngTextChunks(await readFile(path.join(out, file!)))['easel']!)).toMatchObject({ placeholder: true });
  });

  it.each([
    [['--prompt', 'x', '--out', 'o'], '--model is required'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--size', '65x64'], '--size: must be a multiple of 8'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--size', 'big'], '--size: "big" is not WIDTHxHEIGHT'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--steps', 'many'], '--steps: "many" is not a number'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--scheduler', 'magic'], '--scheduler:'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--decoder', 'fast'], '--decoder:'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--strength', '0.5'], '--strength only applies with --init-image'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--init-image', '/nonexistent/x.png'], '--init-image: cannot read'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--colour', 'red'], "Unknown option '--colour'"],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--mask', 'm.png'], '--mask only applies with --init-image'],
    [['--model', 'm', '--prompt', 'x', '--out', 'o', '--init-image', 'i.png', '--outpaint', '1,2'], '--init-image: cannot read'],
  ])('rejects %j with exit code 2', async (args, message) => {
    const { io, err } = captureIo();
    expect(await runGenerateCommand(args, io)).toBe(2);
    expect(err()).toContain(message);
  });

  it('exits 1 with the reason for a model folder that is not one', async () => {
    const { io, err } = captureIo();
    const code = await runGenerateCommand(['--model', path.join(scratch, 'nope'), '--prompt', 'x', '--size', '64x64', '--out', path.join(scratch, 'o')], io);
    expect(code).toBe(1);
    expect(err()).toMatch(/--model: ".*nope" is neither a model id \(see `easel models list`\) nor a model folder\. \[not_found\]/);
  });

  it('prints its usage for --help', async () => {
    const { io, out } = captureIo();
    expect(await runGenerateCommand(['--help'], io)).toBe(0);
    expect(out()).toContain('Usage: easel generate');
  });
});
