/**
 * `npm run bench:convert`: converts a full-size SD 1.5 checkpoint (fp16, random weights, written here from
 * the tensor list tools/checkpoints/make-tiny.py records) and prints the time of each stage and the peak
 * memory of the conversion. Streaming tensor by tensor, the peak stays far below the checkpoint's size.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConvertStage, convertCheckpoint } from '../../src-main/core/convert/convert';
import { readModelFolder } from '../../src-main/core/models/model-folder';
import { createPipeline } from '../../src-main/core/pipeline/create';
import { ProviderHealth } from '../../src-main/core/runtime/fallback';
import { writeFullSizeSd15Checkpoint } from '../fixtures/checkpoints';

const CLIP_TOKENIZER = path.resolve(__dirname, '../../resources/tokenizers/clip');

async function main(): Promise<void> {
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), 'easel-convert-bench-'));
  try {
    const file = path.join(scratch, 'sd15-random.safetensors');
    let started = performance.now();
    await writeFullSizeSd15Checkpoint(file);
    const size = (await fsp.stat(file)).size;
    process.stdout.write(`wrote a ${(size / 1024 ** 3).toFixed(2)} GB fp16 SD 1.5 checkpoint in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const stageTimes: Array<[ConvertStage, number]> = [];
    let stageStart = performance.now();
    let current: ConvertStage | null = null;
    started = performance.now();
    await convertCheckpoint(file, path.join(scratch, 'out'), {
      tokenizerDir: CLIP_TOKENIZER,
      onStage: (stage) => {
        const now = performance.now();
        if (current !== null) stageTimes.push([current, now - stageStart]);
        current = stage;
        stageStart = now;
      },
    });
    const total = performance.now() - started;
    if (current !== null) stageTimes.push([current, performance.now() - stageStart]);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    for (const [stage, ms] of stageTimes) process.stdout.write(`  ${stage.padEnd(14)} ${(ms / 1000).toFixed(1).padStart(7)} s\n`);
    process.stdout.write(
      `converted in ${(total / 1000).toFixed(1)} s; peak RSS ${(peak / 1024 ** 2).toFixed(0)} MB ` +
        `(${((peak - baseline) / 1024 ** 2).toFixed(0)} MB above the ${(baseline / 1024 ** 2).toFixed(0)} MB before), checkpoint ${(size / 1024 ** 2).toFixed(0)} MB\n`,
    );

    // The full-size graphs load and run in Easel's pipeline (the import's verification step).
    const pipeline = await createPipeline({
      health: await ProviderHealth.open(path.join(scratch, 'health.json')),
      providerOrder: () => ['cpu'],
    });
    started = performance.now();
    const folder = await readModelFolder(path.join(scratch, 'out'));
    const [image] = await pipeline.generate({
      prompt: 'a test image',
      negativePrompt: '',
      steps: 1,
      guidance: 1,
      width: 64,
      height: 64,
      scheduler: 'euler',
      seed: '1',
      count: 1,
      provider: 'cpu',
      preview: false,
      decoder: 'full',
    }, { id: 'sd15-random', name: 'SD 1.5 (random weights)', folder });
    await pipeline.dispose();
    process.stdout.write(
      `verification image (64x64, 1 step, cpu): ${image?.metadata.placeholder === false ? 'generated' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
}

void main();
