import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGenerateCommand } from '../../../src-main/cli/generate';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { fixtureModel } from '../../fixtures/models';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();

async function run(args: string[]) {
  const dir = await tempDir();
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    dataDir: path.join(dir, 'data'),
  };
  const code = await runGenerateCommand(args, io);
  return { code, stdout, stderr, dir };
}

const base = (model: string) => ['--model', model, '--prompt', 'a red cat', '--steps', '1', '--size', '64x64'];

describe('easel generate’s arguments', () => {
  it('takes --seed -1 as “random”, as A1111 does', async () => {
    const model = await fixtureModel('sd15-optimum');
    const dir = await tempDir();
    const out = path.join(dir, 'images');
    const { code, stderr } = await run([...base(model), '--seed', '-1', '--out', out]);
    expect(stderr).toMatch(/^(image 1\/1 · step 1\/1 · CPU · \d+ s left\n)+$/);
    expect(code).toBe(0);
    const [file] = await readdir(out);
    const seed = JSON.parse(readPngTextChunks(await readFile(path.join(out, file as string)))['easel']!).seed as string;
    expect(seed).toMatch(/^\d+$/);
    expect(file).toBe(`easel-${seed}.png`);
  });

  it('names the flag when a negative number is out of range, never “argument is ambiguous”', async () => {
    const model = await fixtureModel('sd15-optimum');
    for (const [flag, value] of [
      ['--steps', '-1'],
      ['--size', '-64x64'],
      ['--seed', '-5'],
      ['--guidance', '-2'],
    ] as const) {
      const dir = await tempDir();
      const args = [...base(model).filter((_, index, all) => all[index - 1] !== flag && all[index] !== flag), flag, value];
      const { code, stderr } = await run([...args, '--out', path.join(dir, 'out')]);
      expect(code).toBe(2);
      expect(stderr).toContain(`${flag}:`);
      expect(stderr).toContain('[invalid_request]');
      expect(stderr).not.toContain('ambiguous');
    }
  });

  it('says so when --out names a file', async () => {
    const model = await fixtureModel('sd15-optimum');
    const dir = await tempDir();
    const file = path.join(dir, 'not-a-folder.png');
    await writeFile(file, 'mine');
    const { code, stderr } = await run([...base(model), '--out', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`--out: ${file} is a file, not a folder`);
    expect(await readFile(file, 'utf8')).toBe('mine');
  });
});
