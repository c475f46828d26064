import fs from 'node:fs/promises';
import path from 'node:path';

/** Reads the kernel's text files (/proc, /sys). */
export interface FileReader {
  readText(filePath: string): Promise<string>;
  listDir(dirPath: string): Promise<string[]>;
}

/**
 * `root` re-bases absolute POSIX paths, so a recorded /sys tree in a folder can stand in for the
 * machine's own.
 */
export function createFileReader(options: { root?: string } = {}): FileReader {
  const resolve = (p: string): string => (options.root ? path.join(options.root, p) : p);
  return {
    readText: (filePath) => fs.readFile(resolve(filePath), 'utf8'),
    listDir: (dirPath) => fs.readdir(resolve(dirPath)),
  };
}
