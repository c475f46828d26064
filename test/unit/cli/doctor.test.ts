import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Recommendation, SelfTestReport } from '../../../src-preload/api';
import { runDoctorCommand } from '../../../src-main/cli/doctor';
import { fixtureModel } from '../../fixtures/models';
import { captureOutput } from '../../helpers/streams';
import { useTempDirs } from '../../helpers/temp';
import { cudaImpossible, webgpuImpossible } from '../runtime/machine';

const tempDir = useTempDirs();

async function doctor(args: string[]): Promise<{ code: number; stdout: string; stderr: string; dataDir: string }> {
  const dataDir = await tempDir();
  const output = captureOutput();
  const code = await runDoctorCommand(args, {
    stdout: output.stdout,
    stderr: output.stderr,
    dataDir,
    modelsDir: path.join(dataDir, 'models'),
    selfTestModelDir: await fixtureModel('sd15-legacy'),
  });
  return { code, ...output.written(), dataDir };
}

describe('easel doctor', () => {
  it('prints the hardware, every provider with works or fails and why, and the recommendation', async () => {
    const { code, stdout, stderr, dataDir } = await doctor([]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('Hardware');
    expect(stdout).toMatch(/\n {2}\d+(\.\d)? GB memory, \d+(\.\d)? GB available\n/);
    expect(stdout).toMatch(/\nSelf-test \(sd15-legacy, 512×512, 4 steps\)\n {2}CPU {6}works {3}[\d.]+ m?s per image, [\d.]+ m?s per step \(first image/);
    if (webgpuImpossible) expect(stdout).toMatch(/\n {2}WebGPU {3}fails {3}No GPU answered through WebGPU/);
    if (cudaImpossible) expect(stdout).toMatch(/\n {2}CUDA {5}fails {3}CUDA is not installed for Easel/);
    expect(stdout).toMatch(/\nRecommendation\n {2}\S.*per image/);
    expect(stdout).toMatch(/\n {2}Stable Diffusion 1\.5 +512×512, 25 steps +(about \d+ (s|min) on \w+|does not fit)/);
    expect(stdout).toContain(`Self-test results saved to ${path.join(dataDir, 'self-test.json')}`);
    expect(existsSync(path.join(dataDir, 'self-test.json'))).toBe(true);
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await doctor(['--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as {
      hardware: { summary: string[]; report: { cpu: { logicalCores: number } } };
      selfTest: SelfTestReport;
      recommendation: Recommendation;
    };
    expect(parsed.hardware.summary.length).toBeGreaterThanOrEqual(3);
    expect(parsed.hardware.report.cpu.logicalCores).toBeGreaterThan(0);
    expect(parsed.selfTest.checks.find((check) => check.provider === 'cpu')).toMatchObject({ ok: true });
    expect(parsed.recommendation.estimates.length).toBeGreaterThan(0);
    expect(parsed.recommendation.summary.length).toBeGreaterThan(10);
  });

  it('refuses an unknown option with the usage', async () => {
    const { code, stderr } = await doctor(['--fast']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown option "--fast"[\s\S]*Usage: easel doctor/);
  });
});
