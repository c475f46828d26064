import type { GenerationProgress } from '../core/pipeline/types';
import { providerLabels } from '../core/runtime/providers';
import { formatEta } from '../../src-shared/format';

export interface ProgressStream {
  write(text: string): unknown;
  /** A terminal: the line is redrawn in place; otherwise one line per step. */
  isTTY?: boolean;
}

/** "image 2/6 · step 5/20 · CPU · 3 s left": how far a generation has come, and roughly how long it still takes. */
export function progressLine(progress: GenerationProgress, count: number): string {
  const seconds = progress.etaMs / 1000;
  const left = seconds < 60 ? `${Math.ceil(seconds)} s left` : formatEta(seconds);
  return `image ${progress.image + 1}/${count} · step ${progress.step}/${progress.totalSteps} · ${providerLabels[progress.provider]} · ${left}`;
}

/**
 * Prints a progress line per step to `stream` (stderr, so stdout keeps only the results): on a terminal one
 * line overwritten in place, elsewhere (a log, a pipe) one line per step. `end` finishes the line in place.
 */
export function stepProgress(stream: ProgressStream, count: number): { onProgress: (progress: GenerationProgress) => void; end: () => void } {
  let drawn = false;
  return {
    onProgress: (progress) => {
      if (progress.step < 1) return;
      const line = progressLine(progress, count);
      if (stream.isTTY === true) {
        stream.write(`\r${line}\u001b[K`);
        drawn = true;
      } else stream.write(`${line}\n`);
    },
    end: () => {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
