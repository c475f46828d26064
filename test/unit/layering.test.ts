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

  it('let the Electron host import electron', async () => {
    expect(await importErrors('src-main/hosts/electron-ipc.ts', "import { ipcMain } from 'electron';\nexport { ipcMain };\n")).toEqual([]);
  });
});
