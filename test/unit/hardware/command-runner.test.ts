import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EaselError } from '../../../src-main/core/errors';
import { createCommandRunner } from '../../../src-main/core/hardware/command-runner';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'easel-runner-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<EaselError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EaselError);
    return error as EaselError;
  }
  throw new Error('expected a rejection');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('createCommandRunner', () => {
  const runner = createCommandRunner();
  const node = process.execPath;

  it('returns stdout, stderr and exit code 0', async () => {
    const result = await runner.run(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err")'], { timeoutMs: 10_000 });
    expect(result).toEqual({ stdout: 'out', stderr: 'err', code: 0 });
  });

  it('resolves a non-zero exit with what the program printed', async () => {
    const result = await runner.run(node, ['-e', 'console.log("No devices were found"); process.exit(6)'], { timeoutMs: 10_000 });
    expect(result).toEqual({ stdout: 'No devices were found\n', stderr: '', code: 6 });
  });

  it('stops a program that hangs, soon after the limit, and kills it', async () => {
    const pidFile = path.join(tmp, 'hang.pid');
    const started = Date.now();
    const error = await rejection(
      runner.run(node, ['-e', `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 10000)`], {
        timeoutMs: 1500,
      }),
    );
    const elapsed = Date.now() - started;
    expect(error.code).toBe('io');
    expect(error.detail).toMatchObject({ reason: 'timeout', timeoutMs: 1500 });
    expect(error.message).toMatch(/did not finish within 1.5 s and was stopped/);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(5000);
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(pid)).toBe(false);
  });

  it('says when a program is not installed', async () => {
    const error = await rejection(runner.run('easel-no-such-tool', ['--version'], { timeoutMs: 5000 }));
    expect(error.message).toBe('easel-no-such-tool is not installed or not on the PATH.');
    expect(error.detail).toMatchObject({ reason: 'not_found' });
  });

  it('stops a program that prints more than the cap', async () => {
    const small = createCommandRunner({ maxOutputBytes: 1024 });
    const error = await rejection(small.run(node, ['-e', 'process.stdout.write("x".repeat(100000))'], { timeoutMs: 10_000 }));
    expect(error.detail).toMatchObject({ reason: 'output_too_large' });
  });

  it('passes the environment it was given', async () => {
    const withEnv = createCommandRunner({ env: { ...process.env, EASEL_PROBE_TEST: 'yes' } });
    const result = await withEnv.run(node, ['-e', 'process.stdout.write(process.env.EASEL_PROBE_TEST ?? "")'], { timeoutMs: 10_000 });
    expect(result.stdout).toBe('yes');
  });
});
