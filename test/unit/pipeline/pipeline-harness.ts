/**
 * Builds pipelines on the real runtime (real ONNX Runtime sessions on the fixture models) for the pipeline
 * tests, counting the sessions created so tests can check they are made once and left idle.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GenerateRequest, ProviderName } from '../../../src-preload/api';
import { TextToImage } from '../../../src-main/core/pipeline/generate';
import type { GeneratedImage } from '../../../src-main/core/pipeline/types';
import { ProviderHealth } from '../../../src-main/core/runtime/fallback';
import { OnnxSession } from '../../../src-main/core/runtime/session';
import { SessionCache } from '../../../src-main/core/runtime/session-cache';

export interface Harness {
  pipeline: TextToImage;
  sessions: SessionCache;
  health: ProviderHealth;
  /** Every session the cache created, in order. */
  created: OnnxSession[];
  dispose(): Promise<void>;
}

export async function makeHarness(order: ProviderName[] = ['cpu']): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'easel-pipeline-'));
  const created: OnnxSession[] = [];
  const sessions = new SessionCache(async (modelPath, provider, options) => {
    const session = await OnnxSession.create(modelPath, provider, options);
    created.push(session);
    return session;
  });
  const health = await ProviderHealth.open(path.join(dir, 'provider-health.json'), { machine: 'test-machine' });
  const pipeline = new TextToImage({
    sessions,
    providerOrder: () => order,
    health,
    sessionOptions: { cpuThreads: 1 },
    app: 'Easel test',
  });
  return {
    pipeline,
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
    ...overrides,
  };
}

export function bytesOf(image: GeneratedImage): Buffer {
  return Buffer.from(image.rgb);
}
