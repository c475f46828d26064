/**
 * The figures a person with a full-size model sees, measured on the CPU at 512x512 with a full-size model
 * folder (`npm run bench -- --full-size DIR`; a random-weight SD 1.5 in the export layout does): one batch-1
 * UNet call, a 1-step image (unguided, as SD-Turbo makes one) once its sessions exist, divided by that call
 * (goal: at most 1.4 with the tiny decoder), the peak RSS of a guided 2-step run per decoder and guidance
 * batching, and the first and second start of each part's session. Opt-in: one UNet call takes seconds
 * to tens of seconds on a CPU, so the whole takes minutes.
 */
import path from 'node:path';
import type { DecoderChoice } from '../../src-preload/api';
import { readModelFolder } from '../../src-main/core/models/model-folder';
import { createPipeline } from '../../src-main/core/pipeline/create';
import type { HostTensor } from '../../src-main/core/pipeline/graph';
import type { GenerationParams } from '../../src-main/core/pipeline/types';
import { readUnetLayout } from '../../src-main/core/pipeline/unet';
import { ProviderHealth } from '../../src-main/core/runtime/fallback';
import { OnnxSession } from '../../src-main/core/runtime/session';
import { SessionCache } from '../../src-main/core/runtime/session-cache';
import { TorchCpuGenerator } from '../../src-main/core/pipeline/rng';
import { type PeakMemory, measurePeakMemory } from './peak-memory';
import { type SessionStart, measureSessionStarts } from './start-and-decode';

export const ONE_STEP_RATIO_GOAL = 1.4;
export const PEAK_RSS_GOAL_BYTES = 6 * 2 ** 30;

export interface FullSizeFigures {
  model: string;
  /** One batch-1 UNet call at 64x64 latents, the median of two after a first. */
  unetCallMs: number;
  /** A 1-step unguided 512x512 image, sessions already open, per decoder. */
  oneStepImageMs: Partial<Record<'tiny' | 'full', number>>;
  peakMemory: PeakMemory[];
  sessionStarts: SessionStart[];
}

export async function measureFullSize(dir: string, options: { scratch: string; cpuThreads: number }): Promise<FullSizeFigures> {
  const folder = await readModelFolder(dir);
  const model = path.basename(dir);
  const sessionStarts = await measureSessionStarts([dir], { scratch: options.scratch, provider: 'cpu', cpuThreads: options.cpuThreads });
  const unetCallMs = await unetCall(path.join(dir, 'unet', 'model.onnx'), options.cpuThreads);

  const sessions = new SessionCache();
  const pipeline = await createPipeline({
    sessions,
    providerOrder: () => ['cpu'],
    health: await ProviderHealth.open(path.join(options.scratch, `health-full-${model}.json`), { machine: 'bench' }),
    cpuThreads: options.cpuThreads,
  });
  const oneStepImageMs: FullSizeFigures['oneStepImageMs'] = {};
  const decoders: Array<'tiny' | 'full'> = folder.parts.vae_decoder_tiny === undefined ? ['full'] : ['tiny', 'full'];
  try {
    for (const decoder of decoders) {
      const request = oneStepRequest(decoder);
      // The first opens the sessions; the second is what a person waits for from then on.
      await pipeline.generate(request, { id: dir, name: folder.name, folder });
      const started = performance.now();
      await pipeline.generate({ ...request, seed: '2' }, { id: dir, name: folder.name, folder });
      oneStepImageMs[decoder] = performance.now() - started;
    }
  } finally {
    await pipeline.dispose();
  }
  const peakMemory = await measurePeakMemory([dir], options.cpuThreads);
  return { model, unetCallMs, oneStepImageMs, peakMemory, sessionStarts };
}

function oneStepRequest(decoder: DecoderChoice): GenerationParams {
  return {
    prompt: 'a lighthouse on a cliff at dusk',
    negativePrompt: '',
    steps: 1,
    guidance: 0,
    width: 512,
    height: 512,
    scheduler: 'euler',
    seed: '1',
    count: 1,
    provider: 'cpu',
    preview: false,
    decoder,
  };
}

/** One batch-1 UNet call through the session wrapper, with the inputs the export declares. */
async function unetCall(unetPath: string, cpuThreads: number): Promise<number> {
  const session = await OnnxSession.create(unetPath, 'cpu', { cpuThreads });
  try {
    const layout = readUnetLayout(session);
    const random = new TorchCpuGenerator(3);
    const feeds: Record<string, HostTensor> = {
      [layout.sample.name]: { data: random.randn(4 * 64 * 64), dims: [1, 4, 64, 64] },
      [layout.timestep.name]: { data: Float32Array.of(999), dims: layout.timestepShape === 'scalar' ? [] : [1] },
      [layout.hiddenStates.name]: { data: random.randn(77 * 768), dims: [1, 77, 768] },
    };
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await session.run(feeds, [layout.output]);
      if (i > 0) times.push(performance.now() - started);
    }
    return (times[0]! + times[1]!) / 2;
  } finally {
    await session.release();
  }
}
