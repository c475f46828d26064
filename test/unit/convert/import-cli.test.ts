import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModelsCommand } from '../../../src-main/cli/models';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { SettingsStore } from '../../../src-main/core/settings/settings-store';
import { writeTinyCheckpoint } from '../../fixtures/checkpoints';
import { captureOutput } from '../../helpers/streams';
import { repoRoot } from '../../helpers/web-host';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-cli-convert-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = captureOutput();
  const code = await runModelsCommand(args, {
    stdout: output.stdout,
    stderr: output.stderr,
    env: {},
    dataDir: path.join(root, 'data'),
    modelsDir: path.join(root, 'models'),
    clipTokenizerDir: path.resolve(__dirname, '../../../resources/tokenizers/clip'),
  });
  return { code, ...output.written() };
}

describe('easel models import FILE.safetensors', () => {
  it('prints each stage and the new model id, and the model is listed', async () => {
    const file = path.join(root, 'tiny.safetensors');
    await writeTinyCheckpoint(file, 'sd1');
    const result = await run(['import', file, '--name', 'Tiny Dreams']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\[1\/9\] Checking the file and the free disk space$/m);
    expect(result.stdout).toMatch(/^\[4\/9\] Converting the UNet$/m);
    expect(result.stdout).toMatch(/^\[8\/9\] Verifying: generating a test image$/m);
    expect(result.stdout).toMatch(/Imported Tiny Dreams as tiny-dreams \(sd15, model hash [0-9a-f]{10}\)\ntiny-dreams\n$/);
    expect((await readModelFolder(path.join(root, 'models', 'tiny-dreams'))).architecture).toBe('sd1');
    expect((await run(['list'])).stdout).toMatch(/tiny-dreams/);
  }, 120_000);

  it('explains a pickle and exits 1 with nothing written', async () => {
    const file = path.join(root, 'old.safetensors');
    await fsp.writeFile(file, Buffer.from([0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0]));
    const before = await fsp.readdir(path.join(root, 'models'));
    const result = await run(['import', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/old\.safetensors is a PyTorch pickle/);
    expect(await fsp.readdir(path.join(root, 'models'))).toEqual(before);
  }, 60_000);
});

/** `npm run easel -- ARGS` as a person runs it: the real entry point, its child process and its data folder. */
function easel(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src-main', 'cli.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, EASEL_DATA_DIR: dataDir, EASEL_DEBUG: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('an imported checkpoint on the command line', () => {
  it('is generated with by the id `easel models import` printed, with no native log lines on the terminal', async () => {
    const dataDir = path.join(root, 'cli-data');
    const modelsDir = path.join(root, 'cli-models');
    await new SettingsStore({ dataDir }).update({ modelsDir });
    const file = path.join(root, 'Pocket Painter.safetensors');
    await writeTinyCheckpoint(file, 'sd1');

    const imported = await easel(['models', 'import', file], dataDir);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const id = imported.stdout.trimEnd().split('\n').at(-1);
    expect(id).toBe('pocket-painter');

    const out = path.join(root, 'cli-images');
    const generated = await easel(['generate', '--model', 'pocket-painter', '--prompt', 'a lighthouse', '--seed', '11', '--steps', '2', '--out', out], dataDir);
    expect(generated.code).toBe(0);
    expect(generated.stderr).toMatch(/^(image 1\/1 · step [12]\/2 · \w+ · \d+ s left\n){2}$/);
    const png = path.join(out, 'easel-11.png');
    expect(generated.stdout).toContain(png);
    const { width, height } = (await readModelFolder(path.join(modelsDir, 'pocket-painter'))).nativeSize;
    expect(await sharp(png).metadata()).toMatchObject({ width, height });
    const record = JSON.parse(readPngTextChunks(await fsp.readFile(png))['easel']!) as Record<string, unknown>;
    expect(record).toMatchObject({ modelId: 'pocket-painter', modelName: 'Pocket Painter', steps: 2, seed: '11' });
  }, 180_000);
});
