/**
 * Builds pipelines on the real runtime (real ONNX Runtime sessions on the fixture models) for the pipeline
 * tests, counting the sessions created so tests can check they are made once and left idle.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GenerateRequest, ProviderChoice, ProviderName } from '../../../src-preload/api';
import type { GeneratedImage } from '../../../src-main/core/generated-image';
import { readModelFolder } from '../../../src-main/core/models/model-folder';
import { createPipeline, type Pipeline } from '../../../src-main/core/pipeline/create';
import { generationParams } from '../../../src-main/core/pipeline/params';
import type { GenerateOptions } from '../../../src-main/core/pipeline/types';
import { ProviderHealth } from '../../../src-main/core/runtime/fallback';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { SessionCache } from '../../../src-main/core/runtime/session-cache';

export interface Harness {
  pipeline: Pipeline;
  /** What a host does with a request: the model folder read once (its id is the folder), then the pipeline. */
  generate(request: GenerateRequest, options?: GenerateOptions): Promise<GeneratedImage[]>;
  sessions: SessionCache;
  health: ProviderHealth;
  /** Every session the cache created, in order. */
  created: OnnxSession[];
  dispose(): Promise<void>;
}

/** `preferred`: the provider chosen in Settings, which 'auto' means first. */
export async function makeHarness(order: ProviderName[] = ['cpu'], preferred?: () => ProviderChoice): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'easel-pipeline-'));
  const created: OnnxSession[] = [];
  const sessions = new SessionCache(async (modelPath, provider, options) => {
    const session = await OnnxSession.create(modelPath, provider, options);
    created.push(session);
    return session;
  });
  const health = await ProviderHealth.open(path.join(dir, 'provider-health.json'), { machine: 'test-machine' });
  const pipeline = await createPipeline({
    sessions,
    providerOrder: () => order,
    health,
    cpuThreads: 1,
    app: 'Easel test',
    ...(preferred ? { preferredProvider: preferred } : {}),
  });
  return {
    pipeline,
    async generate(request, options) {
      const folder = await readModelFolder(request.modelId);
      return pipeline.generate(generationParams(request), { id: request.modelId, name: folder.name, folder }, options);
    },
    sessions,
    health,
    created,
    async dispose() {
      await sessions.releaseAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A small, fast request: 64x64, 2 steps. */
export function smallRequest(modelId: string, overrides: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    modelId,
    prompt: 'a lighthouse on a cliff, (stormy sea:1.2)',
    negativePrompt: 'blurry',
    steps: 2,
    guidance: 7.5,
    width: 64,
    height: 64,
    scheduler: 'euler',
    seed: '1234',
    count: 1,
    provider: 'auto',
    preview: false,
    decoder: 'auto',
    ...overrides,
  };
}

export function bytesOf(image: GeneratedImage): Buffer {
  return Buffer.from(image.rgb);
}
