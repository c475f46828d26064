import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentProblem, gitBlobSha1OfFile, sha256OfFile } from '../../../src-main/core/models/verify';
import { useTempDirs } from '../../helpers/temp';

const tempDir = useTempDirs();

async function fileWith(content: Buffer): Promise<string> {
  const file = path.join(await tempDir(), 'file.bin');
  await fsp.writeFile(file, content);
  return file;
}

describe('checksums', () => {
  it('hashes a file as sha256sum and git hash-object do', async () => {
    // `printf 'hello\n' | sha256sum` and `printf 'hello\n' | git hash-object --stdin`.
    const file = await fileWith(Buffer.from('hello\n'));
    expect(await sha256OfFile(file)).toBe('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    expect(await gitBlobSha1OfFile(file)).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('hashes an empty file', async () => {
    expect(await sha256OfFile(await fileWith(Buffer.alloc(0)))).toBe(createHash('sha256').digest('hex'));
  });
});

describe('contentProblem', () => {
  const content = Buffer.from('model bytes');
  const sha256 = createHash('sha256').update(content).digest('hex');

  it('accepts a file that matches what was published', async () => {
    const file = await fileWith(content);
    const gitSha1 = await gitBlobSha1OfFile(file);
    expect(await contentProblem(file, content.length, sha256, { bytes: content.length, sha256, gitSha1: undefined })).toBeUndefined();
    expect(await contentProblem(file, content.length, sha256, { bytes: undefined, sha256: undefined, gitSha1 })).toBeUndefined();
  });

  it('names a wrong size, a wrong SHA-256 and a wrong git checksum', async () => {
    const file = await fileWith(content);
    expect(await contentProblem(file, content.length, sha256, { bytes: 99, sha256, gitSha1: undefined })).toBe(
      `has ${content.length} bytes instead of 99`,
    );
    expect(await contentProblem(file, content.length, '0'.repeat(64), { bytes: undefined, sha256, gitSha1: undefined })).toBe(
      'does not match its published SHA-256 checksum',
    );
    expect(await contentProblem(file, content.length, sha256, { bytes: undefined, sha256: undefined, gitSha1: '0'.repeat(40) })).toBe(
      'does not match its published checksum',
    );
  });
});
