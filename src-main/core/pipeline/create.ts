import os from 'node:os';
import path from 'node:path';
import { resolveAppPaths } from '../app-paths';
import { ProviderHealth } from '../runtime/fallback';
import { detectMachineProviders, physicalCoreCount, providerOrder } from '../runtime/providers';
import { SessionCache } from '../runtime/session-cache';
import { TextToImage } from './generate';
import type { Clock } from './types';

export interface CreatePipelineOptions {
  /** Environment for the data folder (EASEL_DATA_DIR) where provider health is kept. */
  env?: Record<string, string | undefined>;
  /** The provider-health file; defaults to `<data>/provider-health.json`. */
  healthFile?: string;
  sessions?: SessionCache;
  clock?: Clock;
  app?: string;
}

/**
 * A pipeline wired to this machine: its providers in the hardware's order, a session cache, provider
 * health kept in the data folder, CPU sessions on the physical cores.
 */
export async function createPipeline(options: CreatePipelineOptions = {}): Promise<TextToImage> {
  const env = options.env ?? process.env;
  const healthFile =
    options.healthFile ??
    path.join(
      resolveAppPaths({ env, platform: process.platform, home: os.homedir(), appRoot: process.cwd(), packaged: false }).data,
      'provider-health.json',
    );
  const order = providerOrder(detectMachineProviders());
  return new TextToImage({
    sessions: options.sessions ?? new SessionCache(),
    providerOrder: () => order,
    health: await ProviderHealth.open(healthFile),
    sessionOptions: { cpuThreads: await physicalCoreCount() },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.app === undefined ? {} : { app: options.app }),
  });
}
