import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type GenerateRequestInput, type ProviderChoice, generateRequestSchema } from '../../src-preload/api';
import { EaselError, toErrorInfo } from '../core/errors';
import { writeNewFileAtomic } from '../core/fs/atomic';
import { encodePngWithParameters } from '../core/gallery/png-encode';
import { readModelFolder } from '../core/models/model-folder';
import { createPipeline, type Pipeline } from '../core/pipeline/create';
import { generationParams } from '../core/pipeline/params';
import { ProviderHealth } from '../core/runtime/fallback';

export interface GenerateCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Easel's data folder, where provider health is kept. */
  dataDir: string;
  /** A pipeline to reuse (tests, or a host that already has one); otherwise one is built for this run. */
  pipeline?: Pipeline;
}

export const generateUsage = `Usage: easel generate --model DIR --prompt TEXT --out DIR [options]

  --model DIR          an ONNX Stable Diffusion model folder (diffusers/optimum layout)
  --prompt TEXT        what to draw; (word:1.2) weights and BREAK work as in A1111
  --negative TEXT      what to keep out of the image
  --steps N            denoising steps (default 20)
  --guidance G         classifier-free guidance scale (default 7.5)
  --size WxH           image size in pixels, multiples of 8 (default 512x512)
  --scheduler NAME     ddim, pndm, lms, euler, euler-a, heun, dpmpp-2m, dpmpp-2m-karras, unipc, lcm (default euler-a)
  --seed N             0 to 18446744073709551615 (default: random)
  --count N            images to make; image k uses seed + k (default 1)
  --provider NAME      auto, cuda, dml, coreml, webgpu or cpu (default auto)
  --init-image FILE    start from this PNG or JPEG (img2img)
  --strength S         how far from the init image to move, 0-1 (default 0.75)
  --out DIR            where to write the PNGs (created if missing)
`;

/** `easel generate …`: runs the pipeline and writes PNGs with their parameters embedded. Returns the exit code. */
export async function runGenerateCommand(args: string[], io: GenerateCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseGenerateArgs>;
  try {
    parsed = parseGenerateArgs(args);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${generateUsage}`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(generateUsage);
    return 0;
  }
  let ownPipeline: Pipeline | null = null;
  try {
    const request = await buildRequest(parsed);
    const folder = await readModelFolder(request.modelId);
    const params = generationParams(request);
    await fs.mkdir(parsed.out, { recursive: true });
    const pipeline =
      io.pipeline ?? (ownPipeline = await createPipeline({ health: await ProviderHealth.open(path.join(io.dataDir, 'provider-health.json')) }));
    let lastImage = -1;
    const images = await pipeline.generate(params, { id: folder.dir, name: folder.name, folder }, {
      onProgress: (progress) => {
        if (progress.image !== lastImage) {
          lastImage = progress.image;
          io.stdout.write(`image ${progress.image + 1}/${params.count} on ${progress.provider}\n`);
        }
      },
    });
    for (const image of images) {
      const { metadata } = image;
      const png = await encodePngWithParameters(image, metadata);
      const file = await writeNewFileAtomic(
        parsed.out,
        (attempt) => `easel-${metadata.seed}${attempt === 0 ? '' : `-${attempt}`}.png`,
        png,
      );
      const { timings } = metadata;
      io.stdout.write(
        `${file}\n  provider ${metadata.provider}${metadata.placeholder ? ' (PLACEHOLDER: no model ran)' : ''}, seed ${metadata.seed}, ` +
          `${metadata.width}x${metadata.height}, total ${ms(timings.totalMs)} (text ${ms(timings.textEncodeMs)}, ` +
          `denoise ${ms(timings.denoiseMs)} = ${ms(timings.perStepMs)}/step, decode ${ms(timings.decodeMs)})\n`,
      );
      for (const note of metadata.notes) io.stdout.write(`  note: ${note}\n`);
    }
    return images.some((image) => image.metadata.placeholder) ? 3 : 0;
  } catch (error) {
    const info = toErrorInfo(error);
    io.stderr.write(`easel generate: ${info.message} [${info.code}]\n`);
    return info.code === 'invalid_request' ? 2 : 1;
  } finally {
    await ownPipeline?.dispose();
  }
}

interface GenerateArgs {
  model: string;
  prompt: string;
  negative: string | undefined;
  steps: string | undefined;
  guidance: string | undefined;
  size: string | undefined;
  scheduler: string | undefined;
  seed: string | undefined;
  count: string | undefined;
  provider: string | undefined;
  initImage: string | undefined;
  strength: string | undefined;
  out: string;
}

function parseGenerateArgs(args: string[]): GenerateArgs | 'help' {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      negative: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      size: { type: 'string' },
      scheduler: { type: 'string' },
      seed: { type: 'string' },
      count: { type: 'string' },
      provider: { type: 'string' },
      'init-image': { type: 'string' },
      strength: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (positionals.length > 0) throw new Error(`Unexpected argument "${positionals[0]}".`);
  for (const required of ['model', 'prompt', 'out'] as const) {
    if (values[required] === undefined) throw new Error(`--${required} is required.`);
  }
  if (values.strength !== undefined && values['init-image'] === undefined) {
    throw new Error('--strength only applies with --init-image.');
  }
  return {
    model: values.model!,
    prompt: values.prompt!,
    negative: values.negative,
    steps: values.steps,
    guidance: values.guidance,
    size: values.size,
    scheduler: values.scheduler,
    seed: values.seed,
    count: values.count,
    provider: values.provider,
    initImage: values['init-image'],
    strength: values.strength,
    out: path.resolve(values.out!),
  };
}

/** Turns the flags into the contract's request and validates it, once, with the same schema the hosts use. */
async function buildRequest(args: GenerateArgs) {
  const [width, height] = parseSize(args.size ?? '512x512');
  const input: GenerateRequestInput = {
    modelId: path.resolve(args.model),
    prompt: args.prompt,
    negativePrompt: args.negative ?? '',
    steps: parseNumber(args.steps ?? '20', 'steps'),
    guidance: parseNumber(args.guidance ?? '7.5', 'guidance'),
    width,
    height,
    scheduler: (args.scheduler ?? 'euler-a') as GenerateRequestInput['scheduler'],
    // No --seed: the core draws one, as it does for the app.
    ...(args.seed === undefined ? {} : { seed: args.seed }),
    count: parseNumber(args.count ?? '1', 'count'),
    provider: (args.provider ?? 'auto') as ProviderChoice,
    preview: false,
  };
  if (args.initImage !== undefined) {
    let data: Buffer;
    try {
      data = await fs.readFile(args.initImage);
    } catch (error) {
      throw new EaselError('invalid_request', `--init-image: cannot read ${args.initImage} (${(error as Error).message}).`, {
        field: 'initImage',
      });
    }
    input.initImage = { data: data.toString('base64'), strength: parseNumber(args.strength ?? '0.75', 'strength') };
  }
  const parsed = generateRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = flagFor(issue.path.map(String));
    throw new EaselError('invalid_request', `--${field}: ${issue.message}`, { field });
  }
  return parsed.data;
}

/** The command-line flag a schema field comes from, so the message names what the user typed. */
function flagFor(fieldPath: string[]): string {
  const [head, tail] = fieldPath;
  if (head === 'initImage') return tail === 'strength' ? 'strength' : 'init-image';
  const flags: Record<string, string> = {
    modelId: 'model',
    negativePrompt: 'negative',
    width: 'size',
    height: 'size',
  };
  return flags[head ?? ''] ?? head ?? 'arguments';
}

function parseSize(text: string): [number, number] {
  const match = /^(\d+)x(\d+)$/i.exec(text.trim());
  if (match === null) throw new EaselError('invalid_request', `--size: "${text}" is not WIDTHxHEIGHT, e.g. 512x512.`, { field: 'size' });
  return [Number(match[1]), Number(match[2])];
}

function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new EaselError('invalid_request', `--${flag}: "${text}" is not a number.`, { field: flag });
  }
  return value;
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}
