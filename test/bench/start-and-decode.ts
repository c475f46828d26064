/**
 * Two figures for the bench: how long a model's sessions take to start the first time and the second
 * (when ONNX Runtime's optimised graph was kept, see runtime/optimized-models.ts), and what a tiny decoder
 * of TAESD's full size (64 channels, blocks 3-3-3-1, random weights) costs per 512x512 decode on this
 * machine, which is what a real preview or a fast decode costs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderName } from '../../src-preload/api';
import { runDecoder } from '../../src-main/core/pipeline/decode';
import { OnnxSession } from '../../src-main/core/runtime/session';
import { TorchCpuGenerator } from '../../src-main/core/pipeline/rng';
import { buildTinyDecoder } from '../fixtures/onnx/tiny-decoder';

export interface SessionStart {
  model: string;
  part: string;
  firstMs: number;
  secondMs: number;
}

/** First and second start of each part's session with an empty optimised-graph cache before the first. */
export async function measureSessionStarts(
  models: string[],
  options: { scratch: string; provider: ProviderName; cpuThreads: number },
): Promise<SessionStart[]> {
  const starts: SessionStart[] = [];
  for (const dir of models) {
    for (const part of ['unet', 'vae_decoder', 'text_encoder']) {
      const cache = path.join(options.scratch, 'optimized', path.basename(dir), part);
      const start = async () => {
        const started = performance.now();
        const session = await OnnxSession.create(path.join(dir, part, 'model.onnx'), options.provider, {
          cpuThreads: options.cpuThreads,
          optimizedModelDir: cache,
        });
        const ms = performance.now() - started;
        await session.release();
        return ms;
      };
      const firstMs = await start();
      starts.push({ model: path.basename(dir), part, firstMs, secondMs: await start() });
    }
  }
  return starts;
}

/** Median time of a 512x512 decode by a TAESD-size tiny decoder with random weights. */
export async function measureTinyDecode(options: { scratch: string; provider: ProviderName; cpuThreads: number }): Promise<number> {
  const file = path.join(options.scratch, 'taesd-size', 'model.onnx');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, buildTinyDecoder({ seed: 'bench', floatType: 'float32', channels: 64, blocks: [3, 3, 3, 1] }).model);
  const session = await OnnxSession.create(file, options.provider, { cpuThreads: options.cpuThreads });
  try {
    const latents = new TorchCpuGenerator(1).randn(4 * 64 * 64);
    await runDecoder(session, latents, [4, 64, 64]);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await runDecoder(session, latents, [4, 64, 64]);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[2]!;
  } finally {
    await session.release();
  }
}
