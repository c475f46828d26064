import { EaselError } from '../../errors';

/** A tool ran but printed something this code cannot read; the probe reports it and moves on. */
export function unreadableOutput(tool: string, why: string, output: string): EaselError {
  const firstLine = output.trim().split(/\r?\n/, 1)[0] ?? '';
  const sample = firstLine.length > 120 ? `${firstLine.slice(0, 120)}…` : firstLine;
  return new EaselError('io', `${tool} printed output Easel cannot read (${why})${sample ? `: "${sample}"` : '.'}`, {
    tool,
  });
}
