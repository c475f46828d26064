import type { AdapterBase } from '../../../src-preload/api';
import type { Embedding } from './embeddings';
import type { Lora } from './lora';

/**
 * The Stable Diffusion architecture an adapter was made for, so the picker can put the ones that fit the chosen
 * model first. The file's own words come first (kohya's `ss_base_model_version`, the model spec's
 * `modelspec.architecture`); without them the widths tell: cross-attention reads 768-wide text (SD 1.x),
 * 1024 (SD 2.x) or 2048 (SDXL), and only SDXL has a second text encoder.
 */

const CONTEXT_WIDTH: Record<number, AdapterBase> = { 768: 'sd1', 1024: 'sd2', 2048: 'sdxl' };

function baseFromMetadata(metadata: Readonly<Record<string, string>>): AdapterBase | undefined {
  const said = `${metadata.ss_base_model_version ?? ''} ${metadata['modelspec.architecture'] ?? ''}`.toLowerCase();
  if (/sdxl|stable-diffusion-xl/.test(said)) return 'sdxl';
  if (/sd_v2|sd_2|stable-diffusion-v2/.test(said)) return 'sd2';
  if (/sd_v1|sd_1|stable-diffusion-v1/.test(said)) return 'sd1';
  return undefined;
}

export function baseOfLora(lora: Lora): AdapterBase | undefined {
  const said = baseFromMetadata(lora.metadata);
  if (said !== undefined) return said;
  if (lora.layers.some((layer) => layer.component === 'text_encoder_2')) return 'sdxl';
  for (const layer of lora.layers) {
    const module = layer.underscored ? layer.module : layer.module.replace(/\./g, '_');
    if (layer.component !== 'unet' || !/attn2_(to_k|to_v)$/.test(module)) continue;
    const width = lora.file.tensor(layer.down).shape[1];
    if (width !== undefined) return CONTEXT_WIDTH[width];
  }
  const textWidth = lora.layers
    .filter((layer) => layer.component === 'text_encoder' && /self_attn_q_proj$|self_attn\.q_proj$/.test(layer.module))
    .map((layer) => lora.file.tensor(layer.down).shape[1])[0];
  return textWidth === 768 ? 'sd1' : textWidth === 1024 ? 'sd2' : undefined;
}

/** clip_l + clip_g is SDXL's pair; one text encoder's width says SD 1.x (768) or SD 2.x (1024). */
export function baseOfEmbedding(embedding: Embedding): AdapterBase | undefined {
  if (embedding.vectors.text_encoder_2 !== undefined) return 'sdxl';
  const width = embedding.vectors.text_encoder?.width;
  return width === 768 ? 'sd1' : width === 1024 ? 'sd2' : undefined;
}

/**
 * Latent-consistency LoRAs (`lcm-lora-sdv1-5`, `lcm-lora-sdxl`, and their Civitai copies) carry no metadata of
 * their own, so their name says it.
 */
export function isLcmLora(lora: Lora): boolean {
  return /(^|[^a-z])lcm([^a-z]|$)/i.test(lora.name) || /latent.?consistency/i.test(lora.metadata['modelspec.title'] ?? '');
}
