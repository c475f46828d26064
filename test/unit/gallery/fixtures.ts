import type { ImageMetadata } from '../../../src-preload/api';
import type { IndexRecord } from '../../../src-main/core/gallery/store';

/**
 * Metadata as other tools write it into their PNGs, modelled on real files: A1111 / Forge `parameters`
 * text, ComfyUI's `prompt` graph (API format, alongside its `workflow` UI graph) and InvokeAI's
 * `invokeai_metadata` JSON.
 */

export function imageMeta(overrides: Partial<ImageMetadata> = {}): ImageMetadata {
  return {
    prompt: 'a lighthouse on a cliff at sunset, (dramatic clouds:1.2), volumetric light',
    negativePrompt: 'lowres, blurry, watermark',
    modelId: 'stable-diffusion-v1-5',
    modelName: 'Stable Diffusion 1.5',
    scheduler: 'dpmpp-2m-karras',
    steps: 25,
    guidance: 7.5,
    seed: '123456',
    width: 64,
    height: 48,
    provider: 'cpu',
    timings: { totalMs: 5120, textEncodeMs: 40, denoiseMs: 4900, decodeMs: 180, perStepMs: 196 },
    placeholder: false,
    notes: [],
    createdAt: '2026-11-24T15:30:12.000Z',
    app: 'Easel 0.1.0',
    ...overrides,
  };
}

/** A1111 v1.10 (schedule type separate), a LoRA hash list quoted because it holds commas and colons. */
export const A1111_V110 = [
  'masterpiece, best quality, a red fox in a snowy forest,',
  'morning mist, <lora:add_detail:0.6>',
  'Negative prompt: (worst quality, low quality:1.4), lowres, bad anatomy, watermark',
  'Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3456789012, Size: 768x512, ' +
    'Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, ' +
    'Lora hashes: "add_detail: 7c6bad76eb54, film_grain: 0a1b2c3d4e5f", Version: v1.10.1',
].join('\n');

/** A1111 before v1.9: the schedule folded into the sampler name; no negative prompt. */
export const A1111_V16_NO_NEGATIVE =
  'a cat in a spacesuit, studio lighting\n' +
  'Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, ' +
  'Model: v1-5-pruned-emaonly, Version: v1.6.0';

/** A1111 img2img with Euler a. */
export const A1111_IMG2IMG =
  'oil painting of a harbour\n' +
  'Negative prompt: photo\n' +
  'Steps: 30, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 987654321, Size: 512x768, ' +
  'Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.55, Version: v1.10.1';

/** Hires fix: "Denoising strength" belongs to the upscale pass, not to an init image. */
export const A1111_HIRES =
  'portrait of an old sailor\n' +
  'Negative prompt: cartoon\n' +
  'Steps: 20, Sampler: DPM++ SDE, Schedule type: Karras, CFG scale: 5, Seed: 42, Size: 512x512, ' +
  'Model hash: e6bb9ea85b, Model: sdXL_v10VAEFix, Denoising strength: 0.7, Hires upscale: 2, ' +
  'Hires steps: 10, Hires upscaler: Latent, Version: v1.10.1';

/** ComfyUI's default text-to-image graph, as its SaveImage node embeds it. */
export const COMFYUI_DEFAULT_PROMPT = JSON.stringify({
  '3': {
    inputs: {
      seed: 156680208700286,
      steps: 20,
      cfg: 8,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    },
    class_type: 'KSampler',
    _meta: { title: 'KSampler' },
  },
  '4': {
    inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' },
    class_type: 'CheckpointLoaderSimple',
    _meta: { title: 'Load Checkpoint' },
  },
  '5': {
    inputs: { width: 512, height: 512, batch_size: 1 },
    class_type: 'EmptyLatentImage',
    _meta: { title: 'Empty Latent Image' },
  },
  '6': {
    inputs: {
      text: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,',
      clip: ['4', 1],
    },
    class_type: 'CLIPTextEncode',
    _meta: { title: 'CLIP Text Encode (Prompt)' },
  },
  '7': {
    inputs: { text: 'text, watermark', clip: ['4', 1] },
    class_type: 'CLIPTextEncode',
    _meta: { title: 'CLIP Text Encode (Prompt)' },
  },
  '8': { inputs: { samples: ['3', 0], vae: ['4', 2] }, class_type: 'VAEDecode', _meta: { title: 'VAE Decode' } },
  '9': {
    inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] },
    class_type: 'SaveImage',
    _meta: { title: 'Save Image' },
  },
});

/** ComfyUI's UI graph, stored beside `prompt`; Easel reads `prompt` and ignores this. */
export const COMFYUI_WORKFLOW = JSON.stringify({
  last_node_id: 9,
  last_link_id: 9,
  nodes: [{ id: 3, type: 'KSampler', widgets_values: [156680208700286, 'randomize', 20, 8, 'euler', 'normal', 1] }],
  links: [],
  version: 0.4,
});

/**
 * A two-pass (hires fix) SDXL graph with a LoRA, a seed node holding a seed past 2^53, the positive
 * prompt from a text node through a ControlNet, and the second sampler listed first. Written as raw
 * JSON so the large seed keeps every digit, as ComfyUI writes it.
 */
export const COMFYUI_HIRES_SEED = '985429087654321987';
export const COMFYUI_HIRES_PROMPT = `{
  "10": {"inputs": {"seed": ["20", 0], "steps": 12, "cfg": 5.5, "sampler_name": "dpmpp_2m", "scheduler": "karras",
    "denoise": 0.45, "model": ["30", 0], "positive": ["40", 0], "negative": ["41", 0], "latent_image": ["11", 0]},
    "class_type": "KSampler", "_meta": {"title": "KSampler (upscale)"}},
  "11": {"inputs": {"upscale_method": "nearest-exact", "width": 1536, "height": 2048, "crop": "disabled",
    "samples": ["12", 0]}, "class_type": "LatentUpscale", "_meta": {"title": "Upscale Latent"}},
  "12": {"inputs": {"seed": ["20", 0], "steps": 30, "cfg": 6.5, "sampler_name": "dpmpp_2m", "scheduler": "karras",
    "denoise": 1, "model": ["30", 0], "positive": ["40", 0], "negative": ["41", 0], "latent_image": ["13", 0]},
    "class_type": "KSampler", "_meta": {"title": "KSampler"}},
  "13": {"inputs": {"width": 768, "height": 1024, "batch_size": 1}, "class_type": "EmptyLatentImage"},
  "20": {"inputs": {"seed": ${COMFYUI_HIRES_SEED}}, "class_type": "Seed (rgthree)", "_meta": {"title": "Seed"}},
  "25": {"inputs": {"ckpt_name": "SDXL\\\\sd_xl_base_1.0.safetensors"}, "class_type": "CheckpointLoaderSimple"},
  "30": {"inputs": {"lora_name": "detail_tweaker_xl.safetensors", "strength_model": 0.8, "strength_clip": 0.8,
    "model": ["25", 0], "clip": ["25", 1]}, "class_type": "LoraLoader"},
  "35": {"inputs": {"prompt": "a watercolor map of an imaginary island, \\"Isla Nube\\", compass rose"},
    "class_type": "CR Prompt Text", "_meta": {"title": "Prompt"}},
  "36": {"inputs": {"text": ["35", 0], "clip": ["30", 1]}, "class_type": "CLIPTextEncode"},
  "40": {"inputs": {"strength": 0.6, "start_percent": 0, "end_percent": 1, "positive": ["36", 0],
    "negative": ["41", 0], "control_net": ["45", 0], "image": ["46", 0]}, "class_type": "ControlNetApplyAdvanced"},
  "41": {"inputs": {"text": "photo, text, signature", "clip": ["30", 1]}, "class_type": "CLIPTextEncode"},
  "45": {"inputs": {"control_net_name": "controlnet-canny-sdxl-1.0.safetensors"}, "class_type": "ControlNetLoader"},
  "46": {"inputs": {"image": "sketch.png", "upload": "image"}, "class_type": "LoadImage"},
  "50": {"inputs": {"samples": ["10", 0], "vae": ["25", 2]}, "class_type": "VAEDecode"},
  "51": {"inputs": {"filename_prefix": "island", "images": ["50", 0]}, "class_type": "SaveImage"}
}`;

/** InvokeAI 4.x `invokeai_metadata`. */
export const INVOKEAI_V4 = JSON.stringify({
  generation_mode: 'sdxl_txt2img',
  positive_prompt: 'a cozy cabin in a snowy forest at dusk, warm light in the windows',
  negative_prompt: 'blurry, low quality',
  width: 1024,
  height: 768,
  seed: 2795541345,
  rand_device: 'cpu',
  cfg_scale: 6,
  cfg_rescale_multiplier: 0,
  steps: 32,
  scheduler: 'dpmpp_2m_k',
  model: {
    key: '3b5d2f9a-6f0e-4c55-9d7e-1f0a2b3c4d5e',
    hash: 'blake3:0e4c1ad3fb8f8b5f2d5b0b5c1c9f8a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b',
    name: 'Juggernaut XL v9',
    base: 'sdxl',
    type: 'main',
  },
  positive_style_prompt: 'a cozy cabin in a snowy forest at dusk, warm light in the windows',
  negative_style_prompt: 'blurry, low quality',
  app_version: '4.2.4',
});

/** InvokeAI 3.x: `model_name`, and a scheduler Easel does not have. */
export const INVOKEAI_V3 = JSON.stringify({
  app_version: '3.3.0post3',
  generation_mode: 'txt2img',
  positive_prompt: 'landscape',
  negative_prompt: 'low quality',
  width: 768,
  height: 432,
  seed: 356120443,
  rand_device: 'cpu',
  cfg_scale: 7.5,
  steps: 50,
  scheduler: 'dpmpp_2m_sde_k',
  clip_skip: 0,
  model: { model_name: 'amixx_3Prunedfp16', base_model: 'sd-1', model_type: 'main' },
  controlnets: [],
  ipAdapters: [],
  t2iAdapters: [],
  loras: [],
  vae: { model_name: 'sd-vae-ft-mse', base_model: 'sd-1' },
});

const SUBJECTS = ['fox', 'lighthouse', 'castle', 'robot', 'cat', 'dragon', 'forest', 'city', 'portrait', 'ship'];
const STYLES = ['watercolor', 'oil painting', 'photo', 'pixel art', 'ink sketch', 'cinematic', 'anime', 'low poly'];
const EXTRAS = ['at sunset', 'in snow', 'at night', 'under rain', 'in fog', 'on mars', 'underwater', 'golden hour'];

/**
 * `count` index records without image files, for searching and timing the index on its own. Prompts
 * combine subject, style and extra deterministically, so expected matches can be counted exactly.
 */
export function syntheticRecords(count: number): IndexRecord[] {
  const records: IndexRecord[] = [];
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < count; i++) {
    const subject = SUBJECTS[i % SUBJECTS.length]!;
    const style = STYLES[Math.floor(i / SUBJECTS.length) % STYLES.length]!;
    const extra = EXTRAS[Math.floor(i / (SUBJECTS.length * STYLES.length)) % EXTRAS.length]!;
    const createdAt = new Date(start + i * 60_000).toISOString();
    const id = `synthetic_${String(i).padStart(5, '0')}.png`;
    records.push({
      id,
      createdAt,
      width: 512,
      height: 512,
      favourite: i % 97 === 0,
      source: 'easel',
      meta: imageMeta({
        prompt: `A ${style} of a ${subject} ${extra}, highly detailed, masterpiece`,
        modelId: i % 3 === 0 ? 'sdxl-base' : 'stable-diffusion-v1-5',
        seed: String(1000 + i),
        createdAt,
      }),
      size: 400_000 + i,
      mtimeMs: start + i * 60_000,
    });
  }
  return records;
}
