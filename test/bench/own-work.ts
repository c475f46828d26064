/**
 * Easel's own work per denoising step at a guided 2x4x64x64 batch, measured through the real pipeline and
 * the real session wrapper: the model folder is a fixture whose UNet has the export's exact inputs and
 * output but does almost nothing. What ONNX Runtime itself spends on that UNet (timed on the same graph
 * with ready-made tensors) is subtracted, so what is left is scaling, feeding (float16 conversion
 * included), guidance, the scheduler step and the preview.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type SchedulerName, schedulerNames } from '../../src-preload/api';
import { readModelFolder } from '../../src-main/core/models/model-folder';
import { type Pipeline, createPipeline } from '../../src-main/core/pipeline/create';
import type { GenerationModel, GenerationParams } from '../../src-main/core/pipeline/types';
import { ProviderHealth } from '../../src-main/core/runtime/fallback';
import { float16Tensor } from '../../src-main/core/runtime/session';
import { SessionCache } from '../../src-main/core/runtime/session-cache';
import { createFixtureModel } from '../fixtures/models';

export const OWN_WORK_BUDGET_MS = 0.5;
const SIDE = 512;
const STEPS = 30;

export interface OwnWorkMode {
  model: 'fp32' | 'fp16';
  scheduler: SchedulerName;
  preview: boolean;
  /** Median per-step time of the denoising loop as the pipeline timed it. */
  stepMs: number;
  /** ONNX Runtime's own time for the stand-in UNet call, subtracted from stepMs. */
  ortMs: number;
  ownMs: number;
}

export async function measureOwnWork(options: { scratch: string; cpuThreads: number }): Promise<OwnWorkMode[]> {
  const modes: OwnWorkMode[] = [];
  const models = { fp32: 'sd15-legacy', fp16: 'sd15-fp16' } as const;
  for (const [model, kind] of Object.entries(models) as Array<[keyof typeof models, (typeof models)[keyof typeof models]]>) {
    const dir = path.join(options.scratch, `own-work-${kind}`);
    await createFixtureModel(dir, kind, { instantUnet: true });
    const ortMs = await ortFloorMs(path.join(dir, 'unet', 'model.onnx'), model, options.cpuThreads);
    const sessions = new SessionCache();
    const pipeline = await createPipeline({
      sessions,
      providerOrder: () => ['cpu'],
      health: await ProviderHealth.open(path.join(options.scratch, `health-own-${kind}.json`), { machine: 'bench' }),
      cpuThreads: options.cpuThreads,
    });
    const folder = await readModelFolder(dir);
    const generationModel: GenerationModel = { id: dir, name: folder.name, folder };
    const runs: Array<{ scheduler: SchedulerName; preview: boolean }> =
      model === 'fp32'
        ? [...schedulerNames.map((scheduler) => ({ scheduler, preview: false })), { scheduler: 'euler-a', preview: true }]
        : [
            { scheduler: 'euler', preview: false },
            { scheduler: 'euler-a', preview: false },
            { scheduler: 'euler-a', preview: true },
          ];
    try {
      for (const run of runs) {
        const stepMs = await stepTime(pipeline, generationModel, run.scheduler, run.preview);
        modes.push({ model, ...run, stepMs, ortMs, ownMs: Math.max(0, stepMs - ortMs) });
      }
    } finally {
      await sessions.releaseAll();
    }
  }
  return modes;
}

/**
 * The median time from one step's progress report to the next over three guided generations (after one to
 * warm up). Single steps are timed, not whole runs, so a moment of other load on the machine or a garbage
 * collection moves a few samples, not the figure.
 */
async function stepTime(pipeline: Pipeline, model: GenerationModel, scheduler: SchedulerName, preview: boolean): Promise<number> {
  const request: GenerationParams = {
    prompt: 'a lighthouse on a cliff at dusk',
    negativePrompt: 'blurry',
    steps: STEPS,
    guidance: 7.5,
    width: SIDE,
    height: SIDE,
    scheduler,
    seed: '1',
    count: 1,
    provider: 'cpu',
    preview,
    decoder: 'full',
  };
  const deltas: number[] = [];
  for (let i = 0; i < 4; i++) {
    let last: number | null = null;
    const onProgress = () => {
      const now = performance.now();
      if (last !== null && i > 0) deltas.push(now - last);
      last = now;
    };
    await pipeline.generate({ ...request, seed: String(i + 1) }, model, { onProgress });
  }
  return median(deltas);
}

/** One call of the stand-in UNet straight on ONNX Runtime, with its batch-2 tensors made beforehand. */
async function ortFloorMs(unetPath: string, model: 'fp32' | 'fp16', cpuThreads: number): Promise<number> {
  const session = await ort.InferenceSession.create(unetPath, { executionProviders: ['cpu'], intraOpNumThreads: cpuThreads });
  const latent = SIDE / 8;
  const float = (dims: number[]) => {
    const count = dims.reduce((a, b) => a * b, 1);
    return model === 'fp16' ? float16Tensor(new Uint16Array(count), dims) : new ort.Tensor('float32', new Float32Array(count), dims);
  };
  const feeds: Record<string, ort.Tensor> = {
    sample: float([2, 4, latent, latent]),
    timestep: model === 'fp16' ? float16Tensor(new Uint16Array(2), [2]) : new ort.Tensor('int64', new BigInt64Array(2), [2]),
    encoder_hidden_states: float([2, 77, 768]),
  };
  try {
    for (let i = 0; i < 5; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const started = performance.now();
      await session.run(feeds);
      times.push(performance.now() - started);
    }
    return median(times);
  } finally {
    await session.release();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
