import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../../errors';

/**
 * File types Easel never loads: weights that unpickle (and so can run code) and native libraries that ONNX
 * Runtime would load as custom operators. The one list every check uses.
 */
export const REFUSED_EXTENSIONS: readonly string[] = ['.ckpt', '.bin', '.pt', '.pth', '.pkl', '.pickle', '.so', '.dll', '.dylib'];

export function isRefusedFile(file: string): boolean {
  const lower = file.toLowerCase();
  return REFUSED_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Regular files under `root`, `/`-separated, relative and sorted; symbolic links must stay inside. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const realRoot = await fsp.realpath(root);
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (entry.isSymbolicLink()) {
        const target = await fsp.realpath(full).catch(() => undefined);
        if (!target || !isInside(realRoot, target)) {
          throw new EaselError(
            'model_unsafe',
            `${relative} is a link to a file outside the model folder; Easel does not import it. Replace the link with the file itself.`,
            { file: relative },
          );
        }
        if ((await fsp.stat(full)).isDirectory()) await visit(full);
        else out.push(relative);
      } else if (entry.isDirectory()) {
        await visit(full);
      } else if (entry.isFile()) {
        out.push(relative);
      }
    }
  };
  await visit(root);
  return out.sort();
}

/** Refuses a folder holding any file that can run code when loaded, naming the first few. */
export function refuseCodeRunningFiles(root: string, files: readonly string[]): void {
  const refused = files.filter(isRefusedFile);
  if (refused.length === 0) return;
  throw new EaselError(
    'model_unsafe',
    `Easel does not load the model folder ${root}: ${refused.slice(0, 5).join(', ')}${refused.length > 5 ? ', …' : ''} can run code when loaded (pickle weights or native libraries). Use an ONNX export that contains only .onnx, external weights and JSON/text files.`,
    { dir: root, files: refused },
  );
}

/** The files under `root` once none of them could run code; `missing` is the error when the folder cannot be listed. */
export async function listLoadableFiles(root: string, missing: () => EaselError): Promise<string[]> {
  let files: string[];
  try {
    files = await listFiles(root);
  } catch (error) {
    if (error instanceof EaselError) throw error;
    throw missing();
  }
  refuseCodeRunningFiles(root, files);
  return files;
}

/** A JSON object from the folder; null when the file is absent and `required` is false. */
export async function readJsonObject(root: string, relative: string, required: true): Promise<Record<string, unknown>>;
export async function readJsonObject(root: string, relative: string, required: false): Promise<Record<string, unknown> | null>;
export async function readJsonObject(root: string, relative: string, required: boolean): Promise<Record<string, unknown> | null> {
  const file = path.join(root, relative);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    if (!required) return null;
    throw new EaselError('model_invalid', `The model folder ${root} has no ${relative}.`, { dir: root, file: relative });
  }
  let parsed: unknown;
  try {
    parsed = parsePythonJson(text);
  } catch (error) {
    throw new EaselError('model_invalid', `The model file ${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EaselError('model_invalid', `The model file ${file} is not a JSON object.`, { file });
  }
  return parsed as Record<string, unknown>;
}

export function stringField(object: Record<string, unknown> | null, key: string): string | null {
  const value = object?.[key];
  return typeof value === 'string' ? value : null;
}

export function numberField(object: Record<string, unknown> | null, key: string): number | null {
  const value = object?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * JSON as Python writes it: configs saved by Python may hold the bare tokens `Infinity`, `-Infinity` and
 * `NaN` (e.g. a scheduler's lambda_min_clipped), which JSON.parse rejects. Outside strings they are read as
 * the numbers they stand for, NaN as null ("use the default").
 */
export function parsePythonJson(text: string): unknown {
  let json = '';
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (inString) {
      json += ch;
      if (ch === '\\') {
        json += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      i += 1;
      continue;
    }
    if (ch === '"') inString = true;
    const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
    if (token !== undefined) {
      // 1e999 is past float64, so JSON.parse reads it as Infinity.
      json += token === 'NaN' ? 'null' : token === 'Infinity' ? '1e999' : '-1e999';
      i += token.length;
      continue;
    }
    json += ch;
    i += 1;
  }
  return JSON.parse(json);
}
