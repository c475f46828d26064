import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageMetadata } from '../../../src-preload/api';
import { EaselError } from '../errors';
import { fileError } from '../fs/atomic';
import { parseImageParameters, type ParsedImageParameters } from './a1111';
import { readEaselMetadata } from './easel-metadata';
import { readPngSize, readPngTextChunks } from './png-text';
import type { IndexRecord } from './store';

/** What the gallery knows about one PNG, read from the file alone: Easel's metadata, or another tool's. */

/** ImageMetadata for a PNG Easel did not make: what its tool recorded, with the rest left empty. */
function importedMetadata(
  parsed: ParsedImageParameters | null,
  size: { width: number; height: number },
  createdAt: string,
): ImageMetadata {
  const unknown: string[] = [];
  const note = parsed ? `Made with ${parsed.source}, not Easel.` : 'This PNG carries no generation parameters.';
  if (parsed && parsed.scheduler === undefined) unknown.push('sampler');
  if (parsed && parsed.seed === undefined) unknown.push('seed');
  const notes = unknown.length > 0 ? [note, `Not recorded in a form Easel uses: ${unknown.join(', ')}.`] : [note];
  const meta: ImageMetadata = {
    prompt: parsed?.prompt ?? '',
    negativePrompt: parsed?.negativePrompt ?? '',
    modelId: parsed?.modelId ?? '',
    modelName: parsed?.modelName ?? '',
    scheduler: parsed?.scheduler ?? 'euler',
    steps: parsed?.steps ?? 0,
    guidance: parsed?.guidance ?? 0,
    seed: parsed?.seed ?? '0',
    width: parsed?.width ?? size.width,
    height: parsed?.height ?? size.height,
    // The contract has no "unknown" provider; 'cpu' with the notes above is the honest nearest.
    provider: 'cpu',
    timings: { totalMs: 0, textEncodeMs: 0, denoiseMs: 0, decodeMs: 0, perStepMs: 0 },
    placeholder: false,
    notes,
    createdAt,
    app: parsed?.source ?? '',
  };
  if (parsed?.strength !== undefined) meta.strength = parsed.strength;
  if (parsed?.decoder !== undefined) meta.decoder = parsed.decoder;
  return meta;
}

/** Reads the PNG `id` in `dir` into an index record; damaged files fail with a typed error. */
export async function readImageRecord(dir: string, id: string, favourite: boolean): Promise<IndexRecord> {
  const file = path.join(dir, id);
  let png: Buffer;
  let size: number;
  let mtimeMs: number;
  try {
    const [data, stat] = await Promise.all([fs.readFile(file), fs.stat(file)]);
    png = data;
    ({ size, mtimeMs } = stat);
  } catch (error) {
    throw fileError(error, 'read', file);
  }
  const chunks = readPngTextChunks(png);
  const { width, height } = readPngSize(png);
  const easel = readEaselMetadata(chunks);
  if (easel) {
    return { id, createdAt: easel.createdAt, width, height, favourite, source: 'easel', meta: easel, size, mtimeMs };
  }
  let parsed: ParsedImageParameters | null = null;
  try {
    parsed = parseImageParameters(chunks);
  } catch (error) {
    if (!(error instanceof EaselError && error.code === 'not_found')) throw error;
  }
  const createdAt = new Date(mtimeMs).toISOString();
  const meta = importedMetadata(parsed, { width, height }, createdAt);
  return { id, createdAt, width, height, favourite, source: parsed?.source ?? 'none', meta, size, mtimeMs };
}
