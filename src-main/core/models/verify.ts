import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';

/** Checksums of model files: what the hub publishes (SHA-256 of LFS files, git blob SHA-1 of small ones). */

export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const SHA1_HEX = /^[0-9a-f]{40}$/;

/** A file's size in bytes, or undefined when it does not exist (or cannot be read). */
export async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return undefined;
  }
}

/** Hashes the first `length` bytes of `file` into `hash`, streaming. */
export async function hashFilePrefix(file: string, length: number, hash: Hash): Promise<void> {
  if (length === 0) return;
  const stream = createReadStream(file, { start: 0, end: length - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

/** Lower-case hex SHA-256 of a whole file, streaming. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  const size = (await fsp.stat(file)).size;
  await hashFilePrefix(file, size, hash);
  return hash.digest('hex');
}

/** The id git gives a file's content (`sha1("blob <size>\0" + content)`): the hub's ETag of a small file. */
export async function gitBlobSha1OfFile(file: string): Promise<string> {
  const content = await fsp.readFile(file);
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export interface ExpectedContent {
  bytes: number | undefined;
  sha256: string | undefined;
  /** The git blob SHA-1, checked only when no SHA-256 is known. */
  gitSha1: string | undefined;
}

/**
 * What is wrong with a downloaded file, as words that follow its name ("has 10 bytes instead of 12"),
 * or undefined when it is what the hub published. `sha256` is the file's digest, computed while it arrived.
 */
export async function contentProblem(
  file: string,
  size: number,
  sha256: string,
  expected: ExpectedContent,
): Promise<string | undefined> {
  if (expected.bytes !== undefined && size !== expected.bytes) return `has ${size} bytes instead of ${expected.bytes}`;
  if (expected.sha256 && sha256 !== expected.sha256) return 'does not match its published SHA-256 checksum';
  if (!expected.sha256 && expected.gitSha1 && (await gitBlobSha1OfFile(file)) !== expected.gitSha1) {
    return 'does not match its published checksum';
  }
  return undefined;
}
