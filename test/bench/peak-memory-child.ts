/**
 * One guided 512x512 generation in a process of its own, for the bench's peak-memory figure: prints
 * {"maxRssBytes": N, "decoder": "..."} once the image is made. Run by peak-memory.ts:
 *   tsx test/bench/peak-memory-child.ts MODEL_DIR DECODER(auto|full|tiny) BATCHING(one-call|two-calls) CPU_THREADS
 */
import os from 'node:os';
import path from 'node:path';
import type { DecoderChoice } from '../../src-preload/api';
import { readModelFolder } from '../../src-main/core/models/model-folder';
import { TextToImage } from '../../src-main/core/pipeline/generate';
import type { GuidanceBatching } from '../../src-main/core/pipeline/memory';
import { ProviderHealth } from '../../src-main/core/runtime/fallback';
import { SessionCache } from '../../src-main/core/runtime/session-cache';

async function main(): Promise<void> {
  const [modelDir, decoder, batching, threads] = process.argv.slice(2);
  const pipeline = new TextToImage({
    sessions: new SessionCache(),
    providerOrder: () => ['cpu'],
    health: await ProviderHealth.open(path.join(os.tmpdir(), `easel-peak-health-${process.pid}.json`), { machine: 'bench' }),
    sessionOptions: { cpuThreads: Number(threads) },
    guidanceBatching: batching as GuidanceBatching,
  });
  const folder = await readModelFolder(modelDir!);
  const [image] = await pipeline.generate({
    prompt: 'a lighthouse on a cliff at dusk',
    negativePrompt: 'blurry',
    steps: 2,
    guidance: 7.5,
    width: 512,
    height: 512,
    scheduler: 'euler',
    seed: '1',
    count: 1,
    provider: 'cpu',
    preview: false,
    decoder: decoder as DecoderChoice,
  }, { id: modelDir!, name: folder.name, folder });
  // resourceUsage reports kilobytes.
  console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, decoder: image!.metadata.decoder }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
