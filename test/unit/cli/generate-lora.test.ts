import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGenerateCommand } from '../../../src-main/cli/generate';
import { a1111LoraHash } from '../../../src-main/core/adapters/prompt-tags';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { fixtureModel } from '../../fixtures/models';
import { safetensorsBytes } from '../../fixtures/safetensors';
import { buildLayers } from '../adapters/lora-fixtures';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'easel-cli-lora-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function io() {
  let stdout = '';
  let stderr = '';
  return {
    io: { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, dataDir: path.join(scratch, 'data') },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('easel generate with LoRAs', () => {
  it('applies <lora:NAME:SCALE> from --lora-dir and --lora FILE, changes the image, and records Lora hashes', async () => {
    const model = await fixtureModel('sd15-optimum');
    const loraDir = path.join(scratch, 'loras');
    await mkdir(loraDir, { recursive: true });
    const { tensors } = buildLayers('cli', [
      { prefix: 'lora_unet_down_blocks_0_resnets_0_conv1', format: 'kohya', rank: 2, inShape: [4, 3, 3], out: 4, alpha: 1, target: { initializer: '', layout: 'out_in' } },
    ]);
    await writeFile(path.join(loraDir, 'style.safetensors'), safetensorsBytes(tensors));
    const base = ['--model', model, '--steps', '2', '--size', '64x64', '--seed', '3', '--scheduler', 'ddim', '--lora-dir', loraDir];

    const plain = io();
    expect(await runGenerateCommand([...base, '--prompt', 'a red cat', '--out', path.join(scratch, 'plain')], plain.io)).toBe(0);
    const tagged = io();
    const code = await runGenerateCommand([...base, '--prompt', 'a red cat <lora:style:0.8>', '--out', path.join(scratch, 'tagged')], tagged.io);
    // Only the progress lines: no warning about the LoRA.
    expect(tagged.err()).toMatch(/^(image 1\/1 · step [12]\/2 · CPU · \d+ s left\n){2}$/);
    expect(code).toBe(0);
    const hash = await a1111LoraHash(path.join(loraDir, 'style.safetensors'));
    expect(tagged.out()).toContain(`LoRA style at 0.8 (${hash})`);
    const png = await readFile(path.join(scratch, 'tagged', 'easel-3.png'));
    const chunks = readPngTextChunks(png);
    expect(chunks['parameters']).toContain(`a red cat <lora:style:0.8>\n`);
    expect(chunks['parameters']).toContain(`Lora hashes: "style: ${hash}"`);
    expect(JSON.parse(chunks['easel']!).loras).toEqual([{ name: 'style', scale: 0.8, hash }]);
    expect(png.equals(await readFile(path.join(scratch, 'plain', 'easel-3.png')))).toBe(false);

    // The same LoRA given as a file gives the same pixels as the tag.
    const byFile = io();
    const fileArgs = [...base, '--prompt', 'a red cat', '--lora', `${path.join(loraDir, 'style.safetensors')}:0.8`, '--out', path.join(scratch, 'file')];
    expect(await runGenerateCommand(fileArgs, byFile.io)).toBe(0);
    const sharp = (await import('sharp')).default;
    const pixels = async (file: string) => sharp(await readFile(file)).raw().toBuffer();
    expect((await pixels(path.join(scratch, 'file', 'easel-3.png'))).equals(await pixels(path.join(scratch, 'tagged', 'easel-3.png')))).toBe(true);
  });

  it('refuses a LoRA that matches nothing, and a tag naming a LoRA that is not installed', async () => {
    const model = await fixtureModel('sd15-optimum');
    const alien = path.join(scratch, 'alien.safetensors');
    const { tensors } = buildLayers('alien', [
      { prefix: 'lora_unet_output_blocks_0_1_proj_in', format: 'kohya', rank: 1, inShape: [4], out: 4, target: { initializer: '', layout: 'in_out' } },
    ]);
    await writeFile(alien, safetensorsBytes(tensors, { ss_base_model_version: 'sdxl_base_v1-0' }));
    const args = ['--model', model, '--steps', '1', '--size', '64x64', '--out', path.join(scratch, 'refused')];
    const refused = io();
    expect(await runGenerateCommand([...args, '--prompt', 'a cat', '--lora', alien], refused.io)).toBe(1);
    expect(refused.err()).toMatch(/alien does not fit this model.*sdxl_base_v1-0/);
    const missing = io();
    expect(await runGenerateCommand([...args, '--prompt', 'a cat <lora:nowhere>', '--lora-dir', scratch], missing.io)).toBe(1);
    expect(missing.err()).toMatch(/No LoRA named nowhere/);
  });
});
