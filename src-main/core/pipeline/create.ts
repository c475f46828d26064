import type { ProviderChoice, ProviderName, TokenCount } from '../../../src-preload/api';
import type { GeneratedImage } from '../generated-image';
import type { ModelFolder } from '../models/model-folder';
import type { ProviderHealth } from '../runtime/fallback';
import { detectMachineProviders, physicalCoreCount, providerOrder } from '../runtime/providers';
import { SessionCache } from '../runtime/session-cache';
import { TextToImage } from './generate';
import type { ClipTokenizer } from './tokenizer';
import type { Clock, GenerateOptions, GenerationModel, GenerationParams } from './types';

/** What every host, the CLI and the self-test hold: one object that makes images and frees what it loaded. */
export interface Pipeline {
  generate(params: GenerationParams, model: GenerationModel, options?: GenerateOptions): Promise<GeneratedImage[]>;
  /** The tokenizer in `dir`, loaded once and shared with generation. */
  tokenizer(dir: string): Promise<ClipTokenizer>;
  countTokens(folder: ModelFolder, prompt: string): Promise<TokenCount>;
  /** Drops what was loaded from a model folder that was removed or replaced, sessions included. */
  forget(modelDir: string): Promise<void>;
  /** Frees every session and tokenizer. */
  dispose(): Promise<void>;
}

export interface PipelineOptions {
  /** Which providers failed for which model on this machine, kept across runs (`<data>/provider-health.json`). */
  health: ProviderHealth;
  /** A cache to share (the app counts its sessions); a new one by default. */
  sessions?: SessionCache;
  /** The providers to try, best first; this machine's order by default. */
  providerOrder?: (machineOrder: ProviderName[]) => ProviderName[] | Promise<ProviderName[]>;
  /** The provider chosen in Settings, which 'auto' means first; none by default. */
  preferredProvider?: () => ProviderChoice | Promise<ProviderChoice>;
  /** Free the previous model's sessions when a generation uses another (the app: one model in memory). */
  oneModelAtATime?: boolean;
  /** Threads for CPU sessions; the physical cores by default. */
  cpuThreads?: number;
  /** Where ONNX Runtime's optimised graphs are kept between starts (`<data>/optimized-models`); none by default. */
  optimizedModelDir?: string;
  clock?: Clock;
  /** Recorded in each image's metadata, e.g. "Easel 0.1.0". */
  app?: string;
}

/**
 * The one way to build a pipeline, for both hosts, the CLI and the self-test: this machine's providers in the
 * hardware's order, a session cache, provider health, CPU sessions on the physical cores.
 */
export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const machineOrder = providerOrder(detectMachineProviders());
  return new TextToImage({
    sessions: options.sessions ?? new SessionCache(),
    providerOrder: () => (options.providerOrder ? options.providerOrder(machineOrder) : machineOrder),
    health: options.health,
    sessionOptions: {
      cpuThreads: options.cpuThreads ?? (await physicalCoreCount()),
      ...(options.optimizedModelDir === undefined ? {} : { optimizedModelDir: options.optimizedModelDir }),
    },
    ...(options.preferredProvider ? { preferredProvider: options.preferredProvider } : {}),
    ...(options.oneModelAtATime ? { oneModelAtATime: true } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.app === undefined ? {} : { app: options.app }),
  });
}
