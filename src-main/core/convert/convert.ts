import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';
import { SafetensorsFile } from '../formats/safetensors';
import {
  type CheckpointFamily,
  type CheckpointInfo,
  describeCheckpoint,
  type TensorSource,
  textEncoderNames,
  unetNames,
  vaeNames,
} from './checkpoint';
import { throwIfAborted } from './abort';
import { writeFamilyConfigs } from './configs';
import { Layers, Weights } from './layers';
import { OnnxGraph, type StorageType } from './onnx-graph';
import { buildTextEncoderGraph } from './text-encoder-graph';
import { buildUnetGraph } from './unet-graph';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from './vae-graph';

/**
 * Converts a single-file Stable Diffusion checkpoint (`.safetensors`, LDM layout) into a diffusers/optimum
 * ONNX model folder: one graph per network with its weights in `model.onnx_data` beside it, the CLIP
 * tokenizer(s), the scheduler and component configs for the family. Writes only into `outDir`; the caller
 * makes that atomic (a staging folder renamed into place).
 */
export type ConvertStage = 'reading' | 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'writing';

export interface ConvertOptions {
  /** Where Easel's copy of the CLIP BPE vocabulary (vocab.json, merges.txt) lives. */
  tokenizerDir: string;
  /** 'auto' keeps fp16 weights fp16 (bf16 becomes fp32, which holds it exactly); 'fp32' widens everything. */
  precision?: 'auto' | 'fp32';
  /** SD 2.x files do not say whether they predict noise or velocity; 768-px SD 2.x models predict velocity. */
  prediction?: 'epsilon' | 'v_prediction';
  signal?: AbortSignal;
  onStage?: (stage: ConvertStage, index: number, count: number) => void;
}

export interface ConvertedCheckpoint {
  family: CheckpointFamily;
  inpainting: boolean;
  /** Storage type of the written weights. */
  storage: StorageType;
  /** The checkpoint's own `__metadata__` title (`modelspec.title`), when it has one. */
  title: string | null;
  sha256: string;
  /** A1111's short hash: the first 10 hex digits of the file's SHA-256. */
  shortHash: string;
}

export async function convertCheckpoint(source: string, outDir: string, options: ConvertOptions): Promise<ConvertedCheckpoint> {
  const file = await SafetensorsFile.open(source);
  try {
    const info = describeCheckpoint(file);
    const storage = storageFor(file, options.precision ?? 'auto');
    const parts = partsOf(info);
    const stages: ConvertStage[] = ['reading', ...parts.map((part) => part.folder), 'writing'];
    const stage = (name: ConvertStage) => {
      throwIfAborted(options.signal);
      options.onStage?.(name, stages.indexOf(name), stages.length);
    };

    stage('reading');
    const sha256 = await sha256Of(source, options.signal);
    await fsp.mkdir(outDir, { recursive: true });
    let pooledDim: number | undefined;
    for (const part of parts) {
      stage(part.folder);
      const weights = new Weights(file, part.names(file), part.folder, options.signal);
      if (part.folder === 'text_encoder_2') pooledDim = weights.shape('text_projection.weight')[0];
      await writeGraph(path.join(outDir, part.folder), part.folder, storage, async (graph) => {
        await part.build(new Layers(graph, weights), { info, pooledDim });
      });
      const unused = weights.unused();
      if (unused.length > 0) {
        throw new EaselError(
          'model_invalid',
          `${path.basename(source)} has ${part.folder} weights Easel does not know how to place (${unused.slice(0, 3).join(', ')}); it is not a layout Easel converts.`,
          { part: part.folder, unused: unused.slice(0, 20) },
        );
      }
    }
    stage('writing');
    await writeFamilyConfigs(outDir, {
      info,
      tokenizerDir: options.tokenizerDir,
      prediction: options.prediction ?? (info.family === 'sd2' ? 'v_prediction' : 'epsilon'),
      name: path.basename(source, path.extname(source)),
    });
    const title = file.metadata['modelspec.title'];
    return {
      family: info.family,
      inpainting: info.inpainting,
      storage,
      title: typeof title === 'string' && title.trim() !== '' ? title.trim() : null,
      sha256,
      shortHash: sha256.slice(0, 10),
    };
  } finally {
    await file.close();
  }
}

/** The stages converting this file will go through (its header read and checked, nothing converted). */
export async function conversionStages(source: string): Promise<ConvertStage[]> {
  const file = await SafetensorsFile.open(source);
  try {
    return ['reading', ...partsOf(describeCheckpoint(file)).map((part) => part.folder), 'writing'];
  } finally {
    await file.close();
  }
}

interface Part {
  folder: Exclude<ConvertStage, 'reading' | 'writing'>;
  names: (file: SafetensorsFile) => Map<string, TensorSource>;
  build: (layers: Layers, context: { info: CheckpointInfo; pooledDim: number | undefined }) => Promise<void>;
}

/** The networks to build, text encoders first (SDXL's UNet needs the pooled width of encoder 2). */
function partsOf(info: CheckpointInfo): Part[] {
  const parts: Part[] = info.textEncoders.map((source, index) => ({
    folder: index === 0 ? 'text_encoder' : 'text_encoder_2',
    names: (file) => textEncoderNames(file, source),
    build: async (layers) => {
      const layerCount = countLayers(layers.w);
      await buildTextEncoderGraph(layers, {
        activation: source.layout === 'open_clip' ? 'gelu' : 'quick_gelu',
        // SD 2.x conditions on OpenCLIP's penultimate layer: diffusers drops the last one.
        layers: info.family === 'sd2' ? layerCount - 1 : layerCount,
        hiddenStates: info.family === 'sdxl',
        projection: index === 1,
      });
      if (info.family === 'sd2') markSkipped(layers.w, layerCount - 1);
      if (index === 1 || source.layout === 'open_clip') markUnusedProjection(layers.w);
    },
  }));
  parts.push({
    folder: 'unet',
    names: (file) => unetNames(file, info),
    build: (layers, { pooledDim }) =>
      buildUnetGraph(layers, {
        family: info.family,
        inChannels: info.unetInChannels,
        contextDim: info.contextDim,
        ...(pooledDim !== undefined ? { pooledDim } : {}),
      }),
  });
  const vaeDecoderOnly = (names: Map<string, TensorSource>, keep: RegExp) => new Map([...names].filter(([name]) => keep.test(name)));
  parts.push({
    folder: 'vae_decoder',
    names: (file) => vaeDecoderOnly(vaeNames(file), /^(decoder\.|post_quant_conv\.)/),
    build: (layers) => buildVaeDecoderGraph(layers),
  });
  if (info.hasVaeEncoder) {
    parts.push({
      folder: 'vae_encoder',
      names: (file) => vaeDecoderOnly(vaeNames(file), /^(encoder\.|quant_conv\.)/),
      build: (layers) => buildVaeEncoderGraph(layers),
    });
  }
  return parts;
}

function countLayers(weights: Weights): number {
  let count = 0;
  while (weights.has(`text_model.encoder.layers.${count}.layer_norm1.weight`)) count++;
  return count;
}

/** The OpenCLIP layer diffusers drops for SD 2.x is known, not unknown. */
function markSkipped(weights: Weights, layer: number): void {
  weights.ignore((name) => name.startsWith(`text_model.encoder.layers.${layer}.`));
}

/** OpenCLIP's projection (and logit scale) are unused by SD 2.x and by SDXL's first encoder. */
function markUnusedProjection(weights: Weights): void {
  weights.ignore((name) => name === 'text_projection.weight' || name === 'logit_scale');
}

async function writeGraph(dir: string, name: string, storage: StorageType, build: (graph: OnnxGraph) => Promise<void>): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const data = await fsp.open(path.join(dir, 'model.onnx_data'), 'w');
  try {
    const graph = new OnnxGraph(name, data.fd, 'model.onnx_data', storage);
    await build(graph);
    await data.sync();
    await fsp.writeFile(path.join(dir, 'model.onnx'), graph.finish());
  } finally {
    await data.close();
  }
}

function storageFor(file: SafetensorsFile, precision: 'auto' | 'fp32'): StorageType {
  if (precision === 'fp32') return 'float32';
  let half = 0;
  let total = 0;
  for (const tensor of file.tensors.values()) {
    const bytes = tensor.end - tensor.start;
    total += bytes;
    if (tensor.dtype === 'F16') half += bytes;
  }
  return half > total / 2 ? 'float16' : 'float32';
}

async function sha256Of(file: string, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: 4 * 1024 * 1024 });
  for await (const chunk of stream) {
    if (signal?.aborted === true) {
      stream.destroy();
      throwIfAborted(signal);
    }
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
