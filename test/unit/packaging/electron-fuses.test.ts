import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/web-host';

/** The `electronFuses:` block of electron-builder.yml as name → value. */
async function configuredFuses(): Promise<Record<string, string>> {
  const text = await readFile(path.join(repoRoot, 'electron-builder.yml'), 'utf8');
  const block = /^electronFuses:\n((?:[ ]{2}.*\n)+)/m.exec(text)?.[1] ?? '';
  const entries = block
    .split('\n')
    .map((line) => /^\s+(\w+):\s*(\S+)/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1] as string, match[2] as string]);
  return Object.fromEntries(entries);
}

describe('the packaged app’s Electron fuses', () => {
  it('turns off every fuse that lets code or files in from outside the signed archive', async () => {
    expect(await configuredFuses()).toEqual({
      runAsNode: 'false',
      enableNodeOptionsEnvironmentVariable: 'false',
      enableNodeCliInspectArguments: 'false',
      enableEmbeddedAsarIntegrityValidation: 'true',
      onlyLoadAppFromAsar: 'true',
      enableCookieEncryption: 'true',
      grantFileProtocolExtraPrivileges: 'false',
    });
  });
});
