import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HardwareReport, ProviderName, Recommendation, SelfTestReport } from '../../../src-preload/api';
import { writeJsonAtomic } from '../fs/atomic';
import { createCommandRunner, createFileReader, detectHardware, summarizeHardware } from '../hardware';
import type { CatalogEntry } from '../models/catalog';
import type { ProviderHealth } from '../runtime/fallback';
import { type MachineProviders, providerOrder } from '../runtime/providers';
import { recommend } from './recommend';
import { selfTest, type SelfTestPipeline } from './self-test';

export interface SystemServiceOptions {
  /** The self-test's results are kept here as self-test.json. */
  dataDir: string;
  /** The models folder: its volume's free space is part of the hardware report. */
  modelsDir: () => Promise<string>;
  /** The model the self-test runs (the built-in demo). */
  selfTestModelDir: string;
  catalog: readonly CatalogEntry[];
  /** A pipeline that runs each request on the provider it names only. */
  pipeline: () => Promise<SelfTestPipeline>;
  health: () => Promise<ProviderHealth>;
  machine: string;
  /** ONNX Runtime's view of this machine (which providers its build has). */
  machineProviders: () => MachineProviders;
  /** `app.getGPUInfo('complete')` in the desktop app: one more view of the GPUs. */
  electronGpuInfo?: () => Promise<unknown>;
  /** Defaults to probing this machine. */
  detect?: (modelsDir: string, electronGpuInfo: unknown) => Promise<HardwareReport>;
  log?: (line: string) => void;
}

export const SELF_TEST_FILE = 'self-test.json';

/**
 * Every provider the self-test tries: the ones this ONNX Runtime build has for this platform, CUDA
 * included even when its library is missing (so an NVIDIA owner learns what to install), and the CPU.
 */
export function selfTestCandidates(machine: MachineProviders): ProviderName[] {
  return providerOrder({ ...machine, cudaAvailable: true });
}

function detectThisMachine(modelsDir: string, electronGpuInfo: unknown): Promise<HardwareReport> {
  return detectHardware({
    platform: process.platform,
    runner: createCommandRunner(),
    files: createFileReader(),
    modelsDir,
    ...(electronGpuInfo === undefined ? {} : { electronGpuInfo }),
  });
}

/**
 * The machine as the setup wizard and `easel doctor` see it: hardware (detected once per run unless
 * asked again), the self-test (kept on disk, re-run on request or when the model or machine changed),
 * and the recommendation built from both.
 */
export class SystemService {
  private hardwareReport: Promise<HardwareReport> | null = null;
  private running: Promise<SelfTestReport> | null = null;
  private saved: SelfTestReport | null | undefined;

  constructor(private readonly options: SystemServiceOptions) {}

  get selfTestFile(): string {
    return path.join(this.options.dataDir, SELF_TEST_FILE);
  }

  async hardware(force = false): Promise<{ report: HardwareReport; summary: string[] }> {
    if (force || this.hardwareReport === null) {
      const detecting = (async () => {
        const electron = await this.options.electronGpuInfo?.().catch(() => undefined);
        return (this.options.detect ?? detectThisMachine)(await this.options.modelsDir(), electron);
      })();
      detecting.catch(() => {
        if (this.hardwareReport === detecting) this.hardwareReport = null;
      });
      this.hardwareReport = detecting;
    }
    const report = await this.hardwareReport;
    return { report, summary: summarizeHardware(report) };
  }

  /** The saved self-test when it is for this machine and model, else a new one (one at a time). */
  async selfTest(force = false): Promise<SelfTestReport> {
    if (this.running) return this.running;
    if (!force) {
      const saved = await this.load();
      if (saved && this.stillValid(saved)) return saved;
    }
    this.running = this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** `force` re-runs the self-test; the hardware is looked at again only through `hardware(true)`. */
  async recommendation(force = false): Promise<Recommendation> {
    const [{ report }, test] = await Promise.all([this.hardware(), this.selfTest(force)]);
    return recommend(report, test, this.options.catalog);
  }

  /** `order` without the providers the saved self-test found broken; the CPU always stays. */
  async usableProviders(order: ProviderName[]): Promise<ProviderName[]> {
    const saved = await this.load();
    if (!saved) return order;
    const broken = new Set(saved.checks.filter((check) => !check.ok).map((check) => check.provider));
    return order.filter((provider) => provider === 'cpu' || !broken.has(provider));
  }

  private modelPresent(): boolean {
    return existsSync(path.join(this.options.selfTestModelDir, 'unet', 'model.onnx'));
  }

  private stillValid(saved: SelfTestReport): boolean {
    if (saved.machine !== this.options.machine) return false;
    if (saved.model === null) return !this.modelPresent();
    return saved.model.dir === path.resolve(this.options.selfTestModelDir) && this.modelPresent();
  }

  private async run(): Promise<SelfTestReport> {
    const clock = { now: () => performance.now(), date: () => new Date() };
    const report: SelfTestReport = this.modelPresent()
      ? await selfTest({
          modelDir: this.options.selfTestModelDir,
          providers: selfTestCandidates(this.options.machineProviders()),
          pipeline: await this.options.pipeline(),
          health: await this.options.health(),
          machine: this.options.machine,
          clock,
        })
      : {
          ranAt: clock.date().toISOString(),
          machine: this.options.machine,
          model: null,
          skipped: `The built-in demo model is missing (${this.options.selfTestModelDir}), so no execution provider was tested; Easel will use the CPU.`,
          checks: [],
        };
    await writeJsonAtomic(this.selfTestFile, report);
    this.saved = report;
    for (const check of report.checks) {
      if (!check.ok) this.options.log?.(`Self-test: ${check.reason}`);
    }
    return report;
  }

  private async load(): Promise<SelfTestReport | null> {
    if (this.saved !== undefined) return this.saved;
    try {
      const parsed = JSON.parse(await readFile(this.selfTestFile, 'utf8')) as SelfTestReport;
      this.saved = Array.isArray(parsed.checks) && typeof parsed.machine === 'string' ? parsed : null;
    } catch {
      // Missing or unreadable: the test runs again, which costs seconds and loses nothing.
      this.saved = null;
    }
    return this.saved;
  }
}
