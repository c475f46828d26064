import fs from 'node:fs';
import path from 'node:path';

/** Recorded tool outputs for the hardware probes. */
export const fixtureDir = path.resolve(__dirname, '../../fixtures/hardware');

export function fixturePath(...parts: string[]): string {
  return path.join(fixtureDir, ...parts);
}

export function fixture(...parts: string[]): string {
  return fs.readFileSync(fixturePath(...parts), 'utf8');
}
