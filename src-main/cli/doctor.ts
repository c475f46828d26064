import path from 'node:path';
import type { ProviderCheck, Recommendation, SelfTestReport } from '../../src-preload/api';
import { toErrorInfo } from '../core/errors';
import { formatBytes } from '../core/format';
import { formatSeconds } from '../../src-shared/format';
import { CATALOG, type CatalogEntry } from '../core/models/catalog';
import { createPipeline, type Pipeline } from '../core/pipeline/create';
import { defaultMachineKey, ProviderHealth } from '../core/runtime/fallback';
import { detectMachineProviders, providerLabels } from '../core/runtime/providers';
import { SystemService } from '../core/setup/system-service';

export interface DoctorCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The app's data folder: the self-test's results and provider notes are saved there, as the app does. */
  dataDir: string;
  modelsDir: string;
  /** The model the self-test runs unless --model names another: the built-in demo. */
  selfTestModelDir: string;
  catalog?: readonly CatalogEntry[];
}

const USAGE = `Usage: easel doctor [--json] [--model DIR]

Looks at this machine, makes a test image on every execution provider (CPU, CUDA, DirectML, CoreML,
WebGPU: those this build has) and says which work, how fast, and which model Easel recommends.

  --json        print everything as JSON
  --model DIR   test with this model folder instead of the built-in demo
`;

function seconds(value: number | null): string {
  if (value === null) return '–';
  return value < 1 ? `${(value * 1000).toFixed(value < 0.01 ? 1 : 0)} ms` : `${value.toFixed(2)} s`;
}

function checkLine(check: ProviderCheck): string {
  const label = providerLabels[check.provider].padEnd(8);
  if (!check.ok) return `  ${label} fails   ${check.reason}\n  ${' '.repeat(8)}         (${check.technicalReason})`;
  const compared = check.differenceFromCpu === null ? '' : `, ${check.differenceFromCpu.toFixed(1)} levels from the CPU's image`;
  return `  ${label} works   ${seconds(check.secondsPerImage)} per image, ${seconds(check.secondsPerStep)} per step (first image ${seconds(check.firstImageSeconds)} with loading${compared})`;
}

function selfTestText(report: SelfTestReport): string[] {
  if (report.model === null) return ['Self-test', `  ${report.skipped}`];
  const { name, width, height, steps } = report.model;
  return [`Self-test (${name}, ${width}×${height}, ${steps} steps)`, ...report.checks.map(checkLine)];
}

function recommendationText(recommendation: Recommendation): string[] {
  const lines = ['Recommendation', `  ${recommendation.summary}`, '', 'Every model on this machine'];
  for (const estimate of recommendation.estimates) {
    const size = `${estimate.width}×${estimate.height}, ${estimate.steps} step${estimate.steps === 1 ? '' : 's'}`;
    const time = estimate.secondsPerImage === null ? 'does not fit' : `about ${formatSeconds(estimate.secondsPerImage)}`;
    const where = estimate.provider === null ? '' : ` on ${providerLabels[estimate.provider]}`;
    const download = estimate.downloadBytes > 0 ? `, ${formatBytes(estimate.downloadBytes)} download` : ', built in';
    const note = estimate.note === null ? '' : ` — ${estimate.note}`;
    lines.push(`  ${estimate.name.padEnd(24)} ${size.padEnd(20)} ${time}${where}${download}${note}`);
  }
  return lines;
}

/** `easel doctor`: the hardware, a fresh self-test of every provider, and the recommendation. */
export async function runDoctorCommand(args: string[], io: DoctorCommandIo): Promise<number> {
  let json = false;
  let modelDir = io.selfTestModelDir;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--model' && args[i + 1] !== undefined) modelDir = path.resolve(args[++i]!);
    else if (arg === '--help' || arg === '-h') {
      io.stdout.write(USAGE);
      return 0;
    } else {
      io.stderr.write(`easel doctor: unknown option ${JSON.stringify(arg)}\n\n${USAGE}`);
      return 2;
    }
  }

  const health = ProviderHealth.open(path.join(io.dataDir, 'provider-health.json'));
  const pipeline: Promise<Pipeline> = health.then((opened) => createPipeline({ health: opened, app: 'Easel doctor' }));
  const system = new SystemService({
    dataDir: io.dataDir,
    modelsDir: async () => io.modelsDir,
    selfTestModelDir: modelDir,
    catalog: io.catalog ?? CATALOG,
    pipeline: () => pipeline,
    health: () => health,
    machine: defaultMachineKey(),
    machineProviders: () => detectMachineProviders(),
  });
  try {
    const hardware = await system.hardware();
    const selfTest = await system.selfTest(true);
    const recommendation = await system.recommendation();
    if (json) {
      io.stdout.write(`${JSON.stringify({ hardware, selfTest, recommendation, savedTo: system.selfTestFile }, null, 2)}\n`);
    } else {
      const lines = [
        'Hardware',
        ...hardware.summary.map((line) => `  ${line}`),
        '',
        ...selfTestText(selfTest),
        '',
        ...recommendationText(recommendation),
        '',
        `Self-test results saved to ${system.selfTestFile}`,
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    const cpu = selfTest.checks.find((check) => check.provider === 'cpu');
    return cpu !== undefined && !cpu.ok ? 1 : 0;
  } catch (error) {
    io.stderr.write(`easel doctor: ${toErrorInfo(error).message}\n`);
    return 1;
  } finally {
    await (await pipeline.catch(() => null))?.dispose();
  }
}
