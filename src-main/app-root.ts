import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json: the repository in development, the app's resources when packaged.
 * Found by walking up, because the same code runs bundled (dist/main) and from source (src-main).
 */
export function findAppRoot(start: string = __dirname): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export function appVersion(appRoot: string): string {
  const pkg = JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
