/**
 * Peak resident memory of a guided 512x512 CPU run (2 steps, sessions created in the run) in a fresh
 * process per mode: the full decoder or the tiny one, the guided batch in one UNet call or two. On the
 * fixtures this measures the mechanism on a scaled-down model; give a full-size model folder to the bench
 * (`npm run bench -- DIR`) for the figure a person sees.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export interface PeakMemory {
  model: string;
  decoder: string;
  batching: string;
  maxRssBytes: number;
}

const run = promisify(execFile);

export async function measurePeakMemory(models: string[], cpuThreads: number): Promise<PeakMemory[]> {
  const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
  const child = path.join(__dirname, 'peak-memory-child.ts');
  const results: PeakMemory[] = [];
  for (const dir of models) {
    for (const [decoder, batching] of [
      ['full', 'one-call'],
      ['full', 'two-calls'],
      ['auto', 'two-calls'],
    ] as const) {
      const { stdout } = await run(tsx, [child, dir, decoder, batching, String(cpuThreads)], { maxBuffer: 1 << 20 });
      const line = stdout.trim().split('\n').pop()!;
      const parsed = JSON.parse(line) as { maxRssBytes: number; decoder: string };
      results.push({ model: path.basename(dir), decoder: parsed.decoder, batching, maxRssBytes: parsed.maxRssBytes });
    }
  }
  return results;
}
