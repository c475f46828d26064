import path from 'node:path';

/** The project's shared reference data lives beside the repository, never inside it. */
export const sharedDir = path.resolve(__dirname, '../../../shared');

export function sharedPath(...parts: string[]): string {
  return path.join(sharedDir, ...parts);
}
