import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function importErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('the lint rules that keep the layers apart', () => {
  it.each([
    "import fs from 'node:fs';",
    "import { readFile } from 'fs';",
    "import { ipcRenderer } from 'electron';",
    "import { Easel } from '../src-main/core/easel';",
  ])('refuse the renderer: %s', async (code) => {
    expect(await importErrors('src-renderer/screens/Example.tsx', `${code}\nexport {};\n`)).toHaveLength(1);
  });

  it('let the renderer import the contract', async () => {
    expect(await importErrors('src-renderer/Example.ts', "import { schedulerNames } from '../src-preload/api';\nexport { schedulerNames };\n")).toEqual([]);
  });

  it.each(["import { app } from 'electron';", "import { startWebHost } from '../hosts/web-server';"])(
    'refuse the core: %s',
    async (code) => {
      expect(await importErrors('src-main/core/example.ts', `${code}\nexport {};\n`)).toHaveLength(1);
    },
  );

  it.each([
    ['src-main/core/pipeline/example.ts', "import { Gallery } from '../gallery/gallery';"],
    ['src-main/core/pipeline/schedulers/example.ts', "import { Gallery } from '../../gallery';"],
    ['src-main/core/pipeline/example.ts', "import { ModelStore } from '../models/store';"],
    ['src-main/core/pipeline/example.ts', "import { GenerationJobs } from '../jobs/generation-jobs';"],
    ['src-main/core/runtime/example.ts', "import { TextToImage } from '../pipeline/generate';"],
    ['src-main/core/gallery/example.ts', "import { TextToImage } from '../pipeline/generate';"],
    ['src-main/core/gallery/example.ts', "import { SessionCache } from '../runtime/session-cache';"],
    ['src-main/core/placeholder/example.ts', "import type { GeneratedImage } from '../pipeline/types';"],
    ['src-main/core/jobs/example.ts', "import { Easel } from '../easel';"],
    ['src-main/core/example.ts', "import { Easel } from './easel';"],
  ])('keep the core’s layers one way: refuse %s → %s', async (file, code) => {
    expect(await importErrors(file, `${code}\nexport {};\n`)).toHaveLength(1);
  });

  it.each([
    ['src-main/core/pipeline/example.ts', "import { readModelFolder } from '../models/model-folder';"],
    ['src-main/core/pipeline/example.ts', "import { SessionCache } from '../runtime/session-cache';"],
    ['src-main/core/jobs/example.ts', "import { TextToImage } from '../pipeline/generate';"],
    ['src-main/core/gallery/example.ts', "import { EaselError } from '../errors';"],
    ['src-main/hosts/example.ts', "import { Easel } from '../core/easel';"],
    ['src-main/cli/example.ts', "import { Easel } from '../core/easel';"],
  ])('let the core’s layers point down: allow %s → %s', async (file, code) => {
    expect(await importErrors(file, `${code}\nexport {};\n`)).toEqual([]);
  });

  it.each([
    "import fs from 'node:fs';",
    "import { ipcRenderer } from 'electron';",
    "import { EaselError } from '../src-main/core/errors';",
    "import { easel } from '../src-renderer/bridge';",
  ])('refuse the shared code: %s', async (code) => {
    expect(await importErrors('src-shared/example.ts', `${code}\nexport {};\n`)).toHaveLength(1);
  });

  it.each([
    ['src-renderer/Example.ts', "import { formatBytes } from '../src-shared/format';"],
    ['src-main/core/example.ts', "import { formatBytes } from '../../src-shared/format';"],
    ['src-shared/example.ts', "import type { SchedulerName } from '../src-preload/api';"],
  ])('let the renderer and the core share code: allow %s → %s', async (file, code) => {
    expect(await importErrors(file, `${code}\nexport {};\n`)).toEqual([]);
  });

  it.each(["import fs from 'node:fs';", "import { Easel } from '../../src-main/core/easel';", "import { easel } from '../../src-renderer/bridge';"])(
    'refuse the contract’s domain schemas: %s',
    async (code) => {
      expect(await importErrors('src-preload/contract/example.ts', `${code}\nexport {};\n`)).toHaveLength(1);
    },
  );

  it('let the Electron host import electron', async () => {
    expect(await importErrors('src-main/hosts/electron-ipc.ts', "import { ipcMain } from 'electron';\nexport { ipcMain };\n")).toEqual([]);
  });
});
