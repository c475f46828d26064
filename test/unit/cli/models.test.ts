import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runModelsCommand } from '../../../src-main/cli/models';
import { findCatalogEntry } from '../../../src-main/core/models/catalog';
import { FakeHub, payload } from '../../fixtures/hub/fake-hub';
import { fixtureModel } from '../../fixtures/models';
import { captureOutput } from '../../helpers/streams';
import { writeModelFolder } from '../models/model-folder-files';

let root: string;

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = captureOutput();
  const code = await runModelsCommand(args, {
    stdout: output.stdout,
    stderr: output.stderr,
    env,
    modelsDir: path.join(root, 'models'),
    builtinModelsDir: path.join(root, 'resources/models'),
  });
  return { code, ...output.written() };
}

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-cli-'));
});

afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('easel models', () => {
  it('downloads a catalog model from a hub endpoint, lists, verifies and removes it', async () => {
    const entry = findCatalogEntry('sd-turbo');
    if (entry?.source.kind !== 'huggingface') throw new Error('sd-turbo must be a hub model');
    // A tiny model of the same layout, so verify's fresh read of the folder finds real ONNX files.
    const tiny = await fixtureModel('turbo');
    const files = await Promise.all(
      entry.files.map(async (f, i) => ({
        path: f.path,
        content: await fsp.readFile(path.join(tiny, f.path)).catch(() => payload(1_000 + i * 500, i)),
        lfs: f.path.endsWith('.onnx'),
      })),
    );
    const hub = await new FakeHub(files, { repo: entry.source.repo, revision: entry.source.revision }).start();
    try {
      const downloaded = await run(['download', 'sd-turbo', '--hub-endpoint', hub.hubUrl]);
      expect(downloaded.stderr).toBe('');
      expect(downloaded.code).toBe(0);
      expect(downloaded.stdout).toMatch(/Downloading SD-Turbo from jdp8\/sd-turbo-onnx/);
      expect(downloaded.stdout).toMatch(/\(100%\)/);
      expect(downloaded.stdout).toMatch(/SD-Turbo is ready in/);
    } finally {
      await hub.stop();
    }

    const listed = await run(['list', '--json']);
    const parsed = JSON.parse(listed.stdout) as { installed: Array<{ id: string; state: string }>; available: Array<{ id: string }> };
    expect(parsed.installed).toContainEqual(expect.objectContaining({ id: 'sd-turbo', state: 'complete' }));
    expect(parsed.available.map((a) => a.id)).not.toContain('sd-turbo');
    expect(parsed.available.map((a) => a.id)).toContain('sdxl-turbo');

    expect((await run(['verify', 'sd-turbo'])).stdout).toMatch(/all \d+ files match/);
    await fsp.appendFile(path.join(root, 'models/sd-turbo/unet/model.onnx'), 'x');
    const damaged = await run(['verify', 'sd-turbo']);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/unet\/model\.onnx has the wrong size/);

    expect((await run(['remove', 'sd-turbo'])).code).toBe(0);
    expect(existsSync(path.join(root, 'models/sd-turbo'))).toBe(false);
  });

  it('imports a folder and shows it in the list', async () => {
    const source = path.join(root, 'mine');
    await writeModelFolder(source);
    const imported = await run(['import', source, '--id', 'my-sd']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/Imported mine as my-sd \(sd15/);
    const listed = await run(['list']);
    expect(listed.stdout).toMatch(/my-sd\s+mine\s+ready/);
    expect(listed.stdout).toMatch(/easel-demo .*missing files/);
  });

  it('lists a download that failed under its own heading with what to do, never under Installed', async () => {
    const entry = findCatalogEntry('sd-turbo');
    if (entry?.source.kind !== 'huggingface') throw new Error('sd-turbo must be a hub model');
    // A hub that has none of the files: the download stops after making the model's folder.
    const hub = await new FakeHub([], { repo: entry.source.repo, revision: entry.source.revision }).start();
    try {
      const failed = await run(['download', 'sd-turbo', '--hub-endpoint', hub.hubUrl]);
      expect(failed.code).toBe(1);
    } finally {
      await hub.stop();
    }
    expect(existsSync(path.join(root, 'models/sd-turbo'))).toBe(true);

    const listed = (await run(['list'])).stdout;
    const installed = listed.slice(0, listed.indexOf('\n\n'));
    expect(installed).not.toContain('sd-turbo');
    expect(listed).toMatch(
      /\nDownloads not finished \(`easel models download ID` resumes, `easel models remove ID` deletes\):\n {2}sd-turbo +SD-Turbo +0 of 2\.7 GB fetched\n/,
    );
    const json = JSON.parse((await run(['list', '--json'])).stdout) as Record<string, Array<{ id: string }>>;
    expect(json.installed!.map((model) => model.id)).not.toContain('sd-turbo');
    expect(json.unfinished!.map((model) => model.id)).toEqual(['sd-turbo']);
    expect(json.available!.map((model) => model.id)).not.toContain('sd-turbo');
  });

  it('answers bad input with a usage message or a typed error, never a stack trace', async () => {
    expect((await run(['download'])).code).toBe(2);
    expect((await run(['frobnicate'])).stderr).toMatch(/unknown command "frobnicate"/);
    const unknown = await run(['download', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Easel offers no model called nope/);
    const gone = await run(['verify', 'nope']);
    expect(gone.stderr).toMatch(/No installed model is called "nope"/);
    expect((await run(['remove', 'easel-demo'])).stderr).toMatch(/built into Easel/);
  });
});
