import { PassThrough } from 'node:stream';

/** Two real writable streams for a CLI command's output, and what was written to each. */
export function captureOutput(): { stdout: PassThrough; stderr: PassThrough; written(): { stdout: string; stderr: string } } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  return { stdout, stderr, written: () => ({ stdout: out.join(''), stderr: err.join('') }) };
}
