/**
 * The figures a person with a full-size model sees, measured on the CPU at 512x512 with a full-size model
 * folder (`npm run bench -- --full-size DIR`; a random-weight SD 1.5 in the export layout does): a 1-step
 * image (unguided, as SD-Turbo makes one) once its sessions exist, divided by its one batch-1 UNet call
 * (goal: at most 1.4 with the tiny decoder; both come from the same image, so a busy machine slows both),
 * the peak RSS of a guided 2-step run per decoder and guidance batching, and the first and second start of
 * each part's session. Opt-in: one UNet call takes seconds to tens of seconds on a CPU, so the whole takes
 * minutes.
 */
import path from 'node:path';
import type { DecoderChoice } from '../../src-preload/api';
import { readModelFolder } from '../../src-main/core/models/model-folder';
import { createPipeline } from '../../src-main/core/pipeline/create';
import type { GenerationParams } from '../../src-main/core/pipeline/types';
import { ProviderHealth } from '../../src-main/core/runtime/fallback';
import { SessionCache } from '../../src-main/core/runtime/session-cache';
import { type PeakMemory, measurePeakMemory } from './peak-memory';
import { type SessionStart, measureSessionStarts } from './start-and-decode';

export const ONE_STEP_RATIO_GOAL = 1.4;
export const PEAK_RSS_GOAL_BYTES = 6 * 2 ** 30;

export interface OneStepImage {
  decoder: 'tiny' | 'full';
  /** The whole image: text encoding, the UNet call, decoding. */
  imageMs: number;
  /** Its one batch-1 UNet call (the image's denoising time). */
  unetCallMs: number;
}

export interface FullSizeFigures {
  model: string;
  /** Two 1-step images per decoder after a first that opens the sessions. */
  oneStep: OneStepImage[];
  peakMemory: PeakMemory[];
  sessionStarts: SessionStart[];
}

export async function measureFullSize(dir: string, options: { scratch: string; cpuThreads: number }): Promise<FullSizeFigures> {
  const folder = await readModelFolder(dir);
  const model = path.basename(dir);
  const sessionStarts = await measureSessionStarts([dir], { scratch: options.scratch, provider: 'cpu', cpuThreads: options.cpuThreads });
  const pipeline = await createPipeline({
    sessions: new SessionCache(),
    providerOrder: () => ['cpu'],
    health: await ProviderHealth.open(path.join(options.scratch, `health-full-${model}.json`), { machine: 'bench' }),
    cpuThreads: options.cpuThreads,
  });
  const oneStep: OneStepImage[] = [];
  const decoders: Array<'tiny' | 'full'> = folder.parts.vae_decoder_tiny === undefined ? ['full'] : ['tiny', 'full'];
  try {
    for (const decoder of decoders) {
      const request = oneStepRequest(decoder);
      await pipeline.generate(request, { id: dir, name: folder.name, folder });
      for (const seed of ['2', '3']) {
        const started = performance.now();
        const [image] = await pipeline.generate({ ...request, seed }, { id: dir, name: folder.name, folder });
        oneStep.push({ decoder, imageMs: performance.now() - started, unetCallMs: image!.metadata.timings.denoiseMs });
      }
    }
  } finally {
    await pipeline.dispose();
  }
  const peakMemory = await measurePeakMemory([dir], options.cpuThreads);
  return { model, oneStep, peakMemory, sessionStarts };
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
