import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EaselError, toErrorInfo } from '../core/errors';
import { exists, writeFileAtomic } from '../core/fs/atomic';
import type { ModelsService } from '../core/models/models-service';
import { builtinUpscaler, type UpscaleFactor, type UpscaleModel, upscaleFactors, upscaleImage } from '../core/upscale/upscale-image';

export interface UpscaleCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Folders a model id is looked up in, in order (installed models, then the built-in ones). */
  modelDirs: readonly string[];
  /** Resolves the ids of upscalers in the catalog (downloaded with `easel models download`) before any folder. */
  models?: ModelsService;
}

export const upscaleUsage = `Usage: easel upscale [--model ID|DIR] --scale 2|4 IN OUT

  --model ID|DIR   an upscaler: an installed upscaler's id (real-esrgan-x4plus, real-esrgan-x4plus-anime,
                   … as \`easel models list\` shows them) or a folder holding one ESRGAN-style .onnx file
                   (default: the built-in esrgan-slim-x2 / esrgan-slim-x4 for the scale; Lanczos
                   resampling, with no invented detail, when that is missing). A model that enlarges by
                   another factor runs at its own and is resampled to --scale.
  --scale N        2 or 4
  IN               a PNG, JPEG or WebP picture
  OUT              the PNG to write (never replaces an existing file); keeps IN's parameters and adds
                   A1111's "Postprocess upscale by / Postprocess upscaler" text
`;

/** `easel upscale …`: enlarges one picture in tiles with an upscaler model, or with Lanczos. Returns the exit code. */
export async function runUpscaleCommand(args: string[], io: UpscaleCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseUpscaleArgs>;
  try {
    parsed = parseUpscaleArgs(args);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${upscaleUsage}`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(upscaleUsage);
    return 0;
  }
  try {
    if (await exists(parsed.output)) {
      throw new EaselError('invalid_request', `OUT: ${parsed.output} already exists; name a new file.`, { field: 'output' });
    }
    const model =
      parsed.model === undefined ? await builtinUpscaler(parsed.scale, io.modelDirs) : await resolveModel(parsed.model, io.modelDirs, io.models);
    let image: Buffer;
    try {
      image = await readFile(parsed.input);
    } catch {
      throw new EaselError('not_found', `IN: cannot read ${parsed.input}.`, { field: 'input' });
    }
    const result = await upscaleImage({
      image,
      scale: parsed.scale,
      model,
      onTile: (done, total) => io.stdout.write(`tile ${done}/${total}\n`),
    });
    await writeFileAtomic(parsed.output, result.png);
    io.stdout.write(`${parsed.output}: ${result.width}×${result.height}, upscaler ${result.upscaler}\n`);
    return 0;
  } catch (error) {
    const info = toErrorInfo(error);
    io.stderr.write(`easel upscale: ${info.message}\n`);
    return 1;
  }
}

function parseUpscaleArgs(args: string[]): 'help' | { model?: string; scale: UpscaleFactor; input: string; output: string } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { model: { type: 'string' }, scale: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) return 'help';
  const scale = Number(values.scale);
  if (!upscaleFactors.includes(scale as UpscaleFactor)) throw new Error(`--scale must be 2 or 4, not ${JSON.stringify(values.scale ?? '')}.`);
  if (positionals.length !== 2) throw new Error(`Name the input picture and the output file (got ${positionals.length} paths).`);
  const [input, output] = positionals as [string, string];
  return { ...(values.model === undefined ? {} : { model: values.model }), scale: scale as UpscaleFactor, input, output };
}

/**
 * A path to a folder is used as is; a bare name is an upscaler Easel knows (catalog, built in, installed), else a
 * folder of that name in the model folders, then here.
 */
async function resolveModel(model: string, modelDirs: readonly string[], models: ModelsService | undefined): Promise<UpscaleModel> {
  const known = models === undefined || model.includes('/') || model.includes(path.sep) ? null : await models.get(model).catch((error: unknown) => {
          if (error instanceof EaselError && error.code === 'not_found') return null;
          throw error;
        });
  if (known !== null && models !== undefined) {
    if (known.family !== 'upscaler') {
      throw new EaselError('invalid_request', `model: ${known.name} makes pictures from prompts; it is not an upscaler.`, { field: 'model' });
    }
    return models.resolveUpscaler(model);
  }
  const candidates = model.includes('/') || model.includes(path.sep) ? [model] : [...modelDirs.map((dir) => path.join(dir, model)), model];
  for (const dir of candidates) {
    if ((await stat(dir).catch(() => null))?.isDirectory()) return { dir, name: path.basename(path.resolve(dir)) };
  }
  throw new EaselError('not_found', `model: no upscaler named ${JSON.stringify(model)} is installed (looked in ${candidates.join(', ')}).`, {
    field: 'model',
  });
}
