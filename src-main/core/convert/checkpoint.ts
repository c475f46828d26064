import path from 'node:path';
import { EaselError } from '../errors';
import type { SafetensorsFile } from '../formats/safetensors';

/**
 * What a single-file (LDM/CompVis layout) checkpoint holds, read from its keys and shapes alone, so pruned
 * and non-standard variants, and tiny test checkpoints, take the same path as the published ones.
 */
export type CheckpointFamily = 'sd1' | 'sd2' | 'sdxl';

export interface CheckpointInfo {
  family: CheckpointFamily;
  /** 9 input channels: latents + mask + masked-image latents. */
  inpainting: boolean;
  unetInChannels: number;
  /** Width of the UNet's cross-attention context (768, 1024, 2048). */
  contextDim: number;
  /** Resnets per down block (up blocks have one more). */
  layersPerBlock: number;
  /** Checkpoint prefixes of the text encoder(s), in the order the pipeline feeds them. */
  textEncoders: TextEncoderSource[];
  hasVaeEncoder: boolean;
}

export interface TextEncoderSource {
  /** `transformer`: Hugging Face CLIPTextModel names; `open_clip`: OpenCLIP's (fused in_proj). */
  layout: 'transformer' | 'open_clip';
  prefix: string;
}

export const UNET_PREFIX = 'model.diffusion_model.';
export const VAE_PREFIX = 'first_stage_model.';

export function describeCheckpoint(file: SafetensorsFile): CheckpointInfo {
  const keys = file.tensors;
  const name = path.basename(file.file);
  const convIn = keys.get(`${UNET_PREFIX}input_blocks.0.0.weight`);
  if (convIn === undefined || convIn.shape.length !== 4) {
    const sample = [...keys.keys()].slice(0, 3).join(', ');
    throw new EaselError(
      'model_invalid',
      `${name} is not a Stable Diffusion checkpoint Easel can convert: it has no UNet (model.diffusion_model.*)` +
        `${sample ? `; its first keys are ${sample}` : ''}. LoRAs, VAEs and embeddings are not whole models.`,
      { file: file.file },
    );
  }
  const unetInChannels = convIn.shape[1]!;
  if (unetInChannels !== 4 && unetInChannels !== 9) {
    throw new EaselError('model_invalid', `${name} has a UNet with ${unetInChannels} input channels; Easel converts 4-channel and 9-channel (inpainting) models.`);
  }
  const contextKey = [...keys.keys()].find((key) => key.startsWith(UNET_PREFIX) && key.endsWith('attn2.to_k.weight'));
  if (contextKey === undefined) throw new EaselError('model_invalid', `${name} has a UNet without cross-attention; it is not a text-to-image model Easel knows.`);
  const contextDim = keys.get(contextKey)!.shape[1]!;

  const has = (key: string) => keys.has(key);
  const sdxlClip = has('conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight');
  const sdxlOpenClip = has('conditioner.embedders.1.model.token_embedding.weight');
  const refiner = has('conditioner.embedders.0.model.token_embedding.weight');
  let family: CheckpointFamily;
  let textEncoders: TextEncoderSource[];
  if (refiner) {
    throw new EaselError(
      'model_invalid',
      `${name} is an SDXL refiner. Easel cannot run refiners yet; import an SDXL base model (or a fine-tune of one) instead.`,
    );
  } else if (sdxlClip && sdxlOpenClip && has(`${UNET_PREFIX}label_emb.0.0.weight`)) {
    family = 'sdxl';
    textEncoders = [
      { layout: 'transformer', prefix: 'conditioner.embedders.0.transformer.' },
      { layout: 'open_clip', prefix: 'conditioner.embedders.1.model.' },
    ];
  } else if (has('cond_stage_model.model.token_embedding.weight')) {
    family = 'sd2';
    textEncoders = [{ layout: 'open_clip', prefix: 'cond_stage_model.model.' }];
  } else if ([...keys.keys()].some((key) => key.startsWith('cond_stage_model.transformer.') && key.endsWith('token_embedding.weight'))) {
    family = 'sd1';
    textEncoders = [{ layout: 'transformer', prefix: 'cond_stage_model.transformer.' }];
  } else {
    throw new EaselError(
      'model_invalid',
      `${name} has a UNet but no text encoder Easel recognises (SD 1.x CLIP, SD 2.x OpenCLIP or SDXL's two); ` +
        'it may be a UNet-only file or a model family Easel does not convert yet.',
    );
  }
  const expected = { sd1: 768, sd2: 1024, sdxl: 2048 }[family];
  const tiny = contextDim < 256; // test checkpoints: the family's layout at a small width
  if (contextDim !== expected && !tiny) {
    throw new EaselError(
      'model_invalid',
      `${name} looks like ${familyLabel(family)} but its UNet attends to ${contextDim}-wide text, not ${expected}; Easel does not know this variant.`,
    );
  }
  return {
    family,
    inpainting: unetInChannels === 9,
    unetInChannels,
    contextDim,
    layersPerBlock: layersPerBlock(file),
    textEncoders,
    hasVaeEncoder: has(`${VAE_PREFIX}encoder.conv_in.weight`),
  };
}

export function familyLabel(family: CheckpointFamily): string {
  return { sd1: 'Stable Diffusion 1.x', sd2: 'Stable Diffusion 2.x', sdxl: 'Stable Diffusion XL' }[family];
}

/** Resnets per down level: the input blocks before the first downsampler (`input_blocks.N.0.op`), less conv_in. */
function layersPerBlock(file: SafetensorsFile): number {
  for (let index = 1; index < 100; index++) {
    if (file.tensors.has(`${UNET_PREFIX}input_blocks.${index}.0.op.weight`)) return index - 1;
    if (!file.tensors.has(`${UNET_PREFIX}input_blocks.${index}.0.in_layers.0.weight`)) break;
  }
  throw new EaselError('model_invalid', `${path.basename(file.file)} has a UNet whose down blocks Easel cannot make out.`);
}

/** Where a diffusers parameter comes from in the checkpoint: a key, optionally a row range (fused q/k/v) or transposed. */
export interface TensorSource {
  key: string;
  rows?: [number, number];
  transpose?: boolean;
  /** 1×1 convolution weights that diffusers holds as linear layers. */
  squeeze?: boolean;
}

/** diffusers UNet2DConditionModel names for the checkpoint's UNet keys, as diffusers' own conversion renames them. */
export function unetNames(file: SafetensorsFile, info: CheckpointInfo): Map<string, TensorSource> {
  const names = new Map<string, TensorSource>();
  const perBlock = info.layersPerBlock + 1;
  for (const key of file.tensors.keys()) {
    if (!key.startsWith(UNET_PREFIX)) continue;
    const local = key.slice(UNET_PREFIX.length);
    const name = unetName(local, perBlock);
    if (name !== null) names.set(name, { key });
  }
  return names;
}

function unetName(key: string, perBlock: number): string | null {
  const simple: Array<[string, string]> = [
    ['time_embed.0.', 'time_embedding.linear_1.'],
    ['time_embed.2.', 'time_embedding.linear_2.'],
    ['label_emb.0.0.', 'add_embedding.linear_1.'],
    ['label_emb.0.2.', 'add_embedding.linear_2.'],
    ['input_blocks.0.0.', 'conv_in.'],
    ['out.0.', 'conv_norm_out.'],
    ['out.2.', 'conv_out.'],
    ['middle_block.0.', 'mid_block.resnets.0.'],
    ['middle_block.1.', 'mid_block.attentions.0.'],
    ['middle_block.2.', 'mid_block.resnets.1.'],
  ];
  for (const [from, to] of simple) {
    if (key.startsWith(from)) return to + (to.includes('resnets') ? resnetRest(key.slice(from.length)) : key.slice(from.length));
  }
  let match = /^input_blocks\.(\d+)\.(\d+)\.(.+)$/.exec(key);
  if (match !== null) {
    const index = Number(match[1]) - 1;
    const block = Math.floor(index / perBlock);
    const layer = index % perBlock;
    const rest = match[3]!;
    if (match[2] === '0') {
      if (rest.startsWith('op.')) return `down_blocks.${block}.downsamplers.0.conv.${rest.slice(3)}`;
      return `down_blocks.${block}.resnets.${layer}.${resnetRest(rest)}`;
    }
    return `down_blocks.${block}.attentions.${layer}.${rest}`;
  }
  match = /^output_blocks\.(\d+)\.(\d+)\.(.+)$/.exec(key);
  if (match !== null) {
    const index = Number(match[1]);
    const block = Math.floor(index / perBlock);
    const layer = index % perBlock;
    const rest = match[3]!;
    if (match[2] === '0') return `up_blocks.${block}.resnets.${layer}.${resnetRest(rest)}`;
    if (rest === 'conv.weight' || rest === 'conv.bias') return `up_blocks.${block}.upsamplers.0.${rest}`;
    return `up_blocks.${block}.attentions.${layer}.${rest}`;
  }
  return null;
}

function resnetRest(rest: string): string {
  const renames: Array<[string, string]> = [
    ['in_layers.0.', 'norm1.'],
    ['in_layers.2.', 'conv1.'],
    ['out_layers.0.', 'norm2.'],
    ['out_layers.3.', 'conv2.'],
    ['emb_layers.1.', 'time_emb_proj.'],
    ['skip_connection.', 'conv_shortcut.'],
  ];
  for (const [from, to] of renames) if (rest.startsWith(from)) return to + rest.slice(from.length);
  return rest;
}

/** diffusers AutoencoderKL names for the checkpoint's VAE keys. */
export function vaeNames(file: SafetensorsFile): Map<string, TensorSource> {
  const names = new Map<string, TensorSource>();
  let upLevels = 0;
  for (const key of file.tensors.keys()) {
    const match = /^first_stage_model\.decoder\.up\.(\d+)\./.exec(key);
    if (match !== null) upLevels = Math.max(upLevels, Number(match[1]) + 1);
  }
  for (const [key, tensor] of file.tensors) {
    if (!key.startsWith(VAE_PREFIX)) continue;
    let name = key.slice(VAE_PREFIX.length);
    name = name
      .replace(/^(encoder|decoder)\.norm_out\./, '$1.conv_norm_out.')
      .replace(/^encoder\.down\.(\d+)\.block\./, 'encoder.down_blocks.$1.resnets.')
      .replace(/^encoder\.down\.(\d+)\.downsample\./, 'encoder.down_blocks.$1.downsamplers.0.')
      .replace(/^decoder\.up\.(\d+)\./, (_, level: string) => `decoder.up_blocks.${upLevels - 1 - Number(level)}.`)
      .replace(/^(decoder\.up_blocks\.\d+)\.block\./, '$1.resnets.')
      .replace(/^(decoder\.up_blocks\.\d+)\.upsample\./, '$1.upsamplers.0.')
      .replace(/^(encoder|decoder)\.mid\.block_(\d)\./, (_, part: string, n: string) => `${part}.mid_block.resnets.${Number(n) - 1}.`)
      .replace(/\.nin_shortcut\./, '.conv_shortcut.');
    const attention = /^(encoder|decoder)\.mid\.attn_1\.(norm|q|k|v|proj_out)\.(weight|bias)$/.exec(name);
    if (attention !== null) {
      const module = { norm: 'group_norm', q: 'to_q', k: 'to_k', v: 'to_v', proj_out: 'to_out.0' }[attention[2] as 'norm'];
      name = `${attention[1]}.mid_block.attentions.0.${module}.${attention[3]}`;
      names.set(name, { key, squeeze: tensor.shape.length === 4 });
      continue;
    }
    names.set(name, { key });
  }
  return names;
}

/** Hugging Face CLIPTextModel(WithProjection) names for one text encoder of the checkpoint. */
export function textEncoderNames(file: SafetensorsFile, source: TextEncoderSource): Map<string, TensorSource> {
  const names = new Map<string, TensorSource>();
  for (const [key, tensor] of file.tensors) {
    if (!key.startsWith(source.prefix)) continue;
    const local = key.slice(source.prefix.length);
    if (source.layout === 'transformer') {
      if (local.endsWith('position_ids')) continue;
      // Files saved with older transformers lack the text_model. level.
      names.set(local.startsWith('text_model.') || local.startsWith('text_projection') ? local : `text_model.${local}`, { key });
      continue;
    }
    const resblock = /^transformer\.resblocks\.(\d+)\.(.+)$/.exec(local);
    if (resblock !== null) {
      const layer = `text_model.encoder.layers.${resblock[1]}.`;
      const rest = resblock[2]!;
      const fused = /^attn\.in_proj_(weight|bias)$/.exec(rest);
      if (fused !== null) {
        const width = tensor.shape[0]! / 3;
        ['q_proj', 'k_proj', 'v_proj'].forEach((projection, index) =>
          names.set(`${layer}self_attn.${projection}.${fused[1]}`, { key, rows: [index * width, (index + 1) * width] }),
        );
        continue;
      }
      const renamed = rest
        .replace(/^ln_1\./, 'layer_norm1.')
        .replace(/^ln_2\./, 'layer_norm2.')
        .replace(/^mlp\.c_fc\./, 'mlp.fc1.')
        .replace(/^mlp\.c_proj\./, 'mlp.fc2.')
        .replace(/^attn\.out_proj\./, 'self_attn.out_proj.');
      names.set(layer + renamed, { key });
      continue;
    }
    if (local === 'token_embedding.weight') names.set('text_model.embeddings.token_embedding.weight', { key });
    else if (local === 'positional_embedding') names.set('text_model.embeddings.position_embedding.weight', { key });
    else if (local.startsWith('ln_final.')) names.set(`text_model.final_layer_norm.${local.slice('ln_final.'.length)}`, { key });
    // OpenCLIP multiplies by text_projection; diffusers holds it as a Linear layer's (transposed) weight.
    else if (local === 'text_projection') names.set('text_projection.weight', { key, transpose: true });
  }
  return names;
}
