import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../../src-preload/api';
import { runGenerateCommand } from '../../../src-main/cli/generate';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { ModelsService } from '../../../src-main/core/models/models-service';
import { fixtureModel } from '../../fixtures/models';
import { useTempDirs } from '../../helpers/temp';
import { repoRoot } from '../../helpers/web-host';

const tempDir = useTempDirs();
const demoDir = path.join(repoRoot, 'resources', 'models', 'easel-demo');

async function cli(args: string[], options: { tty?: boolean } = {}) {
  const dir = await tempDir();
  const models = new ModelsService({
    modelsDir: async () => path.join(dir, 'models'),
    builtinModelsDir: path.join(repoRoot, 'resources', 'models'),
    settings: async () => settingsSchema.parse({}),
    env: {},
    onChange: () => undefined,
  });
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    dataDir: path.join(dir, 'data'),
    models,
  };
  const out = path.join(dir, 'images');
  const code = await runGenerateCommand([...args, '--out', out], io);
  return { code, stdout, stderr, out, models, io };
}

async function easelRecord(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(readPngTextChunks(await readFile(file))['easel']!) as Record<string, unknown>;
}

describe('easel generate --model', () => {
  it('takes the id `models list` prints, and the model’s own size, steps, guidance and scheduler when no flag gives them', async () => {
    const run = await cli(['--model', 'easel-demo', '--prompt', 'a red circle on a blue background', '--seed', '7', '--count', '2', '--provider', 'cpu']);
    expect(run.code).toBe(0);
    const files = (await readdir(run.out)).sort();
    expect(files).toEqual(['easel-7.png', 'easel-8.png']);
    const png = path.join(run.out, 'easel-7.png');
    expect(await sharp(png).metadata()).toMatchObject({ width: 64, height: 64 });
    expect(await easelRecord(png)).toMatchObject({ modelId: 'easel-demo', steps: 20, guidance: 5, scheduler: 'ddim', width: 64, height: 64 });
    // A flag still wins over the model's default.
    const flagged = await cli(['--model', 'easel-demo', '--prompt', 'a red circle', '--seed', '1', '--steps', '3', '--scheduler', 'euler', '--provider', 'cpu']);
    expect(await easelRecord(path.join(flagged.out, 'easel-1.png'))).toMatchObject({ steps: 3, scheduler: 'euler', guidance: 5 });
  });

  it('knows the built-in model by its folder too', async () => {
    const run = await cli(['--model', demoDir, '--prompt', 'a red circle on a blue background', '--seed', '4', '--steps', '2', '--provider', 'cpu']);
    expect(run.code).toBe(0);
    expect(await easelRecord(path.join(run.out, 'easel-4.png'))).toMatchObject({ modelId: 'easel-demo', guidance: 5, width: 64 });
  });

  it('takes an imported model’s id, at its UNet’s native size', async () => {
    const source = await fixtureModel('sd15-optimum');
    const first = await cli(['--model', 'nothing-yet', '--prompt', 'x']);
    const imported = await first.models.importFolder(source, 'reference');
    const run = await runGenerateCommand(
      ['--model', imported.id, '--prompt', 'a red cat', '--seed', '2', '--steps', '1', '--provider', 'cpu', '--out', first.out],
      first.io,
    );
    expect(run).toBe(0);
    const { width, height } = (await readModelFolder(source)).nativeSize;
    expect(await sharp(path.join(first.out, 'easel-2.png')).metadata()).toMatchObject({ width, height });
    expect(await easelRecord(path.join(first.out, 'easel-2.png'))).toMatchObject({ modelId: imported.id, scheduler: 'euler-a' });
  });

  it.each([
    [['--model', 'sd-turbo'], 1, '--model: SD-Turbo is not downloaded yet. Run `easel models download sd-turbo` first. [not_found]'],
    [['--model', 'no-such-model'], 1, '--model: "no-such-model" is neither a model id (see `easel models list`) nor a model folder. [not_found]'],
    [
      ['--model', 'easel-demo', '--scheduler', 'pndm'],
      2,
      '--scheduler: Easel Demo (built-in) does not draw right with PLMS: its pictures come out smeared or in the wrong colours. Use one of DDIM, Euler, Euler a, Heun, DPM++ 2M, DPM++ 2M Karras, UniPC. [invalid_request]',
    ],
    [['--model', 'no-such-model', '--size', '65x64'], 2, '--size: must be a multiple of 8'],
  ])('answers %j with exit code %i and a message naming the flag', async (args, code, message) => {
    const run = await cli([...args, '--prompt', 'x', '--provider', 'cpu']);
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(message);
  });
});

describe('easel generate’s progress', () => {
  const args = ['--model', 'easel-demo', '--prompt', 'a red circle', '--seed', '3', '--count', '2', '--steps', '4', '--provider', 'cpu'];

  it('prints a line per step with the time left, to stderr, when stderr is not a terminal', async () => {
    const run = await cli(args);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    lines.forEach((line, index) => {
      expect(line).toMatch(new RegExp(`^image ${Math.floor(index / 4) + 1}/2 · step ${(index % 4) + 1}/4 · CPU · \\d+ s left$`));
    });
    expect(run.stdout).not.toContain('· step');
  });

  it('redraws one line in place on a terminal and ends it before the results', async () => {
    const run = await cli(args, { tty: true });
    const redraws = run.stderr.split('\r').filter(Boolean);
    expect(redraws).toHaveLength(8);
    const clearToEnd = '\u001b[K';
    expect(redraws.slice(0, -1).every((line) => line.endsWith(clearToEnd) && /^image \d\/2 · step \d\/4 · CPU · \d+ s left/.test(line))).toBe(true);
    expect(redraws.at(-1)).toMatch(/^image 2\/2 · step 4\/4 · CPU · \d+ s left/);
    expect(redraws.at(-1)!.endsWith(`${clearToEnd}\n`)).toBe(true);
  });
});
