/**
 * The models Easel offers. Every Stable Diffusion entry is a Hugging Face repository in the diffusers/optimum ONNX
 * layout (upscalers, one ONNX file each, are in catalog-upscalers.ts), pinned to a commit (a short hash where only that was published: see revision.ts), with only the files the pipeline loads (no PyTorch weights, no
 * second precision, no safety checker).
 *
 * Sizes are the ones shown on the repository's file pages (decimal units, rounded by the hub), so
 * they are `approxBytes`: good for planning disk space and for telling a person what they are about
 * to fetch. The exact size and SHA-256 of every large file come from the hub at download time
 * (X-Linked-Size / X-Linked-Etag) and are then recorded in the model's manifest.
 */

import type { ModelCapabilities, ModelFamily, SchedulerName } from '../../../src-preload/api';
import { TINY_DECODER_ENTRIES } from './catalog-tiny-decoders';
import { UPSCALER_ENTRIES } from './catalog-upscalers';

export type { ModelFamily };

export type SchedulerId = SchedulerName;

/** The latent spaces a tiny decoder add-on serves: SD 1.x/2.x models share one, SDXL models another. */
export type TinyDecoderLine = 'sd' | 'sdxl';

export interface CatalogFile {
  /** Path inside the repository, which is also the path inside the model folder. */
  path: string;
  /** Size as shown by the hub's file listing; for planning only. */
  approxBytes: number;
  /** Exact size, when known ahead of time; checked after download. */
  bytes?: number;
  /** Lower-case hex SHA-256, when known ahead of time; checked after download. */
  sha256?: string;
}

export type ModelSource =
  | { kind: 'huggingface'; repo: string; revision: string }
  | { kind: 'builtin'; dir: string };

export interface CatalogEntry {
  id: string;
  displayName: string;
  description: string;
  family: ModelFamily;
  /**
   * Its UNet takes 9 channels (latents, mask, masked-image latents): it only repaints a masked part of a
   * starting image, so it is offered for edits and never for text-to-image.
   */
  inpainting: boolean;
  /**
   * An upscaler (family `upscaler`): one ESRGAN-style `.onnx` that enlarges pictures by this factor. It takes no
   * prompt, so it is offered where pictures are upscaled and never for generation.
   */
  upscaleFactor?: 2 | 4;
  /**
   * A tiny decoder add-on (family `tiny-decoder`): the models it decodes for, by latent space ('sd': SD 1.x/2.x,
   * 'sdxl': SDXL). Every such model without a tiny decoder of its own uses it once it is installed.
   */
  tinyDecoderFor?: TinyDecoderLine;
  source: ModelSource;
  files: CatalogFile[];
  /**
   * The schedulers that draw this model's pictures right, offered in the Generate form and the only ones the core
   * accepts for it; every scheduler when absent.
   */
  schedulers?: readonly SchedulerId[];
  defaults: {
    scheduler: SchedulerId;
    steps: number;
    guidance: number;
    width: number;
    height: number;
  };
  /** Sum of the files' approxBytes. */
  approxTotalBytes: number;
  requirements: { minRamGb: number; minVramGb: number };
  licence: { name: string; url: string };
  capabilities: ModelCapabilities;
  /** Where the facts of this entry come from (repository pages read when the entry was written). */
  provenance: string[];
}

const KB = 1_000;
const MB = 1_000_000;
const GB = 1_000_000_000;

function file(path: string, approxBytes: number): CatalogFile {
  return { path, approxBytes: Math.round(approxBytes) };
}

/** The small configuration files every pipeline in the ONNX layout reads. */
function configFiles(tokenizers: string[]): CatalogFile[] {
  return [
    file('model_index.json', 0.6 * KB),
    file('scheduler/scheduler_config.json', 0.6 * KB),
    ...tokenizers.flatMap((dir) => [
      file(`${dir}/vocab.json`, 1.06 * MB),
      file(`${dir}/merges.txt`, 525 * KB),
      file(`${dir}/special_tokens_map.json`, 0.5 * KB),
      file(`${dir}/tokenizer_config.json`, 0.8 * KB),
    ]),
  ];
}

function sumApprox(files: CatalogFile[]): number {
  return files.reduce((sum, f) => sum + f.approxBytes, 0);
}

function entry(e: Omit<CatalogEntry, 'approxTotalBytes' | 'inpainting'> & { inpainting?: boolean }): CatalogEntry {
  return { ...e, inpainting: e.inpainting ?? false, approxTotalBytes: sumApprox(e.files) };
}

export const DEMO_MODEL_ID = 'easel-demo';

/** Stable Diffusion models trained on web pictures: they draw most things people describe. */
function generalPurpose(summary: string): ModelCapabilities {
  return {
    summary,
    examples: [
      'a watercolor lighthouse on a cliff at dawn, soft light',
      'a photo of a red fox in fresh snow, golden hour',
      'an isometric illustration of a cosy reading room, warm colours',
    ],
    placeholder: 'a watercolor lighthouse on a cliff at dawn, soft light',
    suggestedModelId: null,
  };
}

export const CATALOG: readonly CatalogEntry[] = [
  entry({
    id: 'sd-turbo',
    displayName: 'SD-Turbo',
    description: 'Stable Diffusion 2.1 distilled for 1–4 steps. The fastest real model; a good first download.',
    family: 'sd-turbo',
    // onnxruntime/sd-turbo is built for the CUDA provider only ("It cannot run in other providers like
    // CPU and DirectML"), so the generic diffusers-layout export is preferred.
    source: { kind: 'huggingface', repo: 'jdp8/sd-turbo-onnx', revision: '4ea5d203f7def52bcf83781990f97721c98a7f22' },
    files: [
      ...configFiles(['tokenizer']),
      file('text_encoder/model.onnx', 682 * MB),
      file('unet/model.onnx', 1.74 * GB),
      file('vae_decoder/model.onnx', 99.1 * MB),
      file('vae_encoder/model.onnx', 137 * MB),
    ],
    defaults: { scheduler: 'euler-a', steps: 1, guidance: 0, width: 512, height: 512 },
    requirements: { minRamGb: 8, minVramGb: 4 },
    licence: {
      name: 'Stability AI Non-Commercial Research Community License',
      url: 'https://huggingface.co/stabilityai/sd-turbo/blob/main/LICENSE.md',
    },
    capabilities: generalPurpose('Photos, paintings and illustrations of most things you describe, at 512×512, in 1–4 steps. Faces, hands and text are often wrong.'),
    provenance: [
      'https://huggingface.co/jdp8/sd-turbo-onnx/tree/4ea5d203f7def52bcf83781990f97721c98a7f22 (and its unet/, text_encoder/, vae_decoder/, vae_encoder/ pages)',
      'https://huggingface.co/onnxruntime/sd-turbo (README: CUDA-only export, not used)',
      'https://huggingface.co/blog/sdxl_ort_inference (1–4 steps, no guidance)',
    ],
  }),
  entry({
    id: 'sd-1.5',
    displayName: 'Stable Diffusion 1.5',
    description: 'The classic 512×512 model with the widest range of styles. Needs 20–30 steps.',
    family: 'sd15',
    // The hub pages show commit 90ff1f1 on main (the only commit with files); its full hash was not in the
    // sources read, so the downloader asks the hub for it once, refuses any other commit and records it.
    source: { kind: 'huggingface', repo: 'onnx-community/stable-diffusion-v1-5-ONNX', revision: '90ff1f1' },
    files: [
      ...configFiles(['tokenizer']),
      file('text_encoder/model.onnx', 493 * MB),
      file('unet/model.onnx', 1.09 * MB),
      file('unet/weights.pb', 3.44 * GB),
      // vae_decoder page not read; fp32 SD VAE decoder exports are 198 MB in the other repos below.
      file('vae_decoder/model.onnx', 198 * MB),
      file('vae_encoder/model.onnx', 137 * MB),
    ],
    defaults: { scheduler: 'pndm', steps: 25, guidance: 7.5, width: 512, height: 512 },
    // Measured on a full-size fp32 SD 1.5 at 512x512 on a CPU (npm run bench -- --full-size): a guided run
    // short of memory (two UNet calls, no memory arena) peaks at 5.6 GiB with the full VAE.
    requirements: { minRamGb: 8, minVramGb: 4 },
    licence: {
      name: 'CreativeML OpenRAIL-M',
      url: 'https://huggingface.co/spaces/CompVis/stable-diffusion-license',
    },
    capabilities: generalPurpose('Photos, paintings and illustrations in a wide range of styles at 512×512. Faces, hands and text are often wrong.'),
    provenance: [
      'https://huggingface.co/onnx-community/stable-diffusion-v1-5-ONNX/tree/main (unet/, text_encoder/, vae_encoder/ pages)',
    ],
  }),
  entry({
    id: 'sd-1.5-inpainting',
    displayName: 'Stable Diffusion 1.5 Inpainting',
    description: 'SD 1.5 trained to repaint a masked part of a picture. For inpainting and outpainting only; 20–30 steps.',
    family: 'sd15',
    inpainting: true,
    capabilities: generalPurpose('Repaints the masked part of a picture, or extends it past its edges, to match what you describe, at 512×512.'),
    // runwayml/stable-diffusion-inpainting (whose `onnx` branch diffusers' ONNX inpaint tests loaded) is
    // no longer on the hub, so this is an optimum export of it in half precision. The hub pages read show
    // only the short commit 0b50b86 (the repository's one upload), pinned as sd-1.5's short commit is.
    source: { kind: 'huggingface', repo: 'jdp8/optimum-sd-inpainting-onnx-fp16', revision: '0b50b86' },
    files: [
      ...configFiles(['tokenizer']),
      // Only vae_decoder's page was read (99.1 MB, the fp16 SD VAE decoder); the others are the fp32 sizes
      // above halved (float16 weights), for planning only: the hub gives the exact sizes at download time.
      file('text_encoder/model.onnx', 246 * MB),
      file('unet/model.onnx', 1.72 * GB),
      file('vae_decoder/model.onnx', 99.1 * MB),
      file('vae_encoder/model.onnx', 68.4 * MB),
    ],
    defaults: { scheduler: 'pndm', steps: 25, guidance: 7.5, width: 512, height: 512 },
    requirements: { minRamGb: 8, minVramGb: 4 },
    licence: {
      name: 'CreativeML OpenRAIL-M',
      url: 'https://huggingface.co/spaces/CompVis/stable-diffusion-license',
    },
    provenance: [
      'https://huggingface.co/jdp8/optimum-sd-inpainting-onnx-fp16/tree/main/vae_decoder (commit 0b50b86, "Upload 15 files")',
      'https://huggingface.co/jdp8/optimum-sd-inpainting-onnx-fp16/commits/main/vae_decoder',
      'https://huggingface.co/runwayml/stable-diffusion-inpainting/tree/0e6cde47180d69d33fc77c3db88a4cb73514e9ec (the source model: 9-channel UNet, CreativeML OpenRAIL-M)',
      'diffusers tests/pipelines/stable_diffusion/test_onnx_stable_diffusion_inpaint.py (runwayml/stable-diffusion-inpainting, revision="onnx")',
    ],
  }),
  entry({
    id: 'lcm-dreamshaper-v7',
    displayName: 'LCM Dreamshaper v7',
    description: 'A latent consistency model: good images in 4–8 steps.',
    family: 'lcm',
    // The ONNX files were added to the authors' own repository in PR #11 (commit 4721097).
    source: {
      kind: 'huggingface',
      repo: 'SimianLuo/LCM_Dreamshaper_v7',
      revision: 'a85df6a8bd976cdd08b4fd8f3b73f229c9e54df5',
    },
    files: [
      ...configFiles(['tokenizer']),
      file('text_encoder/model.onnx', 493 * MB),
      file('unet/model.onnx', 1.95 * MB),
      file('unet/model.onnx_data', 3.44 * GB),
      file('vae_decoder/model.onnx', 198 * MB),
      file('vae_encoder/model.onnx', 137 * MB),
    ],
    defaults: { scheduler: 'lcm', steps: 4, guidance: 8, width: 512, height: 512 },
    requirements: { minRamGb: 8, minVramGb: 4 },
    licence: { name: 'MIT', url: 'https://huggingface.co/SimianLuo/LCM_Dreamshaper_v7' },
    capabilities: generalPurpose('Photos, paintings and illustrations at 512×512 in 4–8 steps, with a leaning towards polished digital art.'),
    provenance: [
      'https://huggingface.co/SimianLuo/LCM_Dreamshaper_v7/tree/a85df6a8bd976cdd08b4fd8f3b73f229c9e54df5/unet',
      'https://huggingface.co/SimianLuo/LCM_Dreamshaper_v7/tree/a85df6a8bd976cdd08b4fd8f3b73f229c9e54df5/vae_encoder',
      'https://huggingface.co/SimianLuo/LCM_Dreamshaper_v7/tree/0010c37ddd81113174cbde0939e0d703e8b68e9d/text_encoder (same add-onnx commit)',
    ],
  }),
  entry({
    id: 'sdxl-turbo',
    displayName: 'SDXL-Turbo',
    description: 'SDXL distilled for 1–4 steps at 512×512. Large: the ONNX weights are full precision.',
    family: 'sdxl-turbo',
    // Stability's own repository carries a generic optimum export (PR #15); onnxruntime/sdxl-turbo is
    // CUDA-only.
    source: { kind: 'huggingface', repo: 'stabilityai/sdxl-turbo', revision: 'fbda35297a8280789ffe2e25206800702fa5c4c1' },
    files: [
      ...configFiles(['tokenizer', 'tokenizer_2']),
      // text_encoder/ page not read; the same CLIP ViT-L export is 492–493 MB in the SD 1.x repos.
      file('text_encoder/model.onnx', 493 * MB),
      file('text_encoder_2/model.onnx', 1.04 * MB),
      file('text_encoder_2/model.onnx_data', 2.78 * GB),
      file('unet/model.onnx', 7.29 * MB),
      file('unet/model.onnx_data', 10.3 * GB),
      file('vae_decoder/model.onnx', 198 * MB),
      file('vae_encoder/model.onnx', 137 * MB),
    ],
    defaults: { scheduler: 'euler-a', steps: 1, guidance: 0, width: 512, height: 512 },
    requirements: { minRamGb: 24, minVramGb: 12 },
    licence: {
      name: 'Stability AI Non-Commercial Research Community License',
      url: 'https://huggingface.co/stabilityai/sdxl-turbo/blob/main/LICENSE.md',
    },
    capabilities: generalPurpose('Photos, paintings and illustrations of most things you describe, at 512×512, in 1–4 steps, with more detail than SD-Turbo.'),
    provenance: [
      'https://huggingface.co/stabilityai/sdxl-turbo/tree/fbda35297a8280789ffe2e25206800702fa5c4c1/vae_decoder',
      'https://huggingface.co/stabilityai/sdxl-turbo/tree/0d6115c72a3c1edc53b6c103d0ee71d590801c02/unet',
      'https://huggingface.co/stabilityai/sdxl-turbo/tree/0486beafecabe1c3b93149eeda3c118e7059670a/text_encoder_2',
      'https://huggingface.co/onnxruntime/sdxl-turbo (README: CUDA-only export, not used)',
    ],
  }),
  entry({
    id: 'sdxl-base-1.0',
    displayName: 'SDXL 1.0 base',
    description: 'The full SDXL model at 1024×1024: the best detail, and the slowest and largest.',
    family: 'sdxl',
    source: {
      kind: 'huggingface',
      repo: 'stabilityai/stable-diffusion-xl-base-1.0',
      revision: 'ffd13a1d2ed00b2bbcf5d78c2a347313a3b556c8',
    },
    files: [
      ...configFiles(['tokenizer', 'tokenizer_2']),
      file('text_encoder/model.onnx', 493 * MB),
      file('text_encoder_2/model.onnx', 1.04 * MB),
      file('text_encoder_2/model.onnx_data', 2.78 * GB),
      file('unet/model.onnx', 7.29 * MB),
      file('unet/model.onnx_data', 10.3 * GB),
      file('vae_decoder/model.onnx', 198 * MB),
      file('vae_encoder/model.onnx', 137 * MB),
    ],
    defaults: { scheduler: 'euler', steps: 30, guidance: 5, width: 1024, height: 1024 },
    requirements: { minRamGb: 32, minVramGb: 16 },
    licence: {
      name: 'CreativeML OpenRAIL++-M',
      url: 'https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/blob/main/LICENSE.md',
    },
    capabilities: generalPurpose('Detailed photos, paintings and illustrations at 1024×1024; follows long descriptions better than the 512×512 models.'),
    provenance: [
      'https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/tree/ffd13a1d2ed00b2bbcf5d78c2a347313a3b556c8/unet',
      'https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/tree/ffd13a1d2ed00b2bbcf5d78c2a347313a3b556c8/vae_encoder',
      'text encoders: same onnx-model export (PR #18) as the unet; sizes as in stabilityai/sdxl-turbo PR #15',
    ],
  }),
  entry({
    id: DEMO_MODEL_ID,
    displayName: 'Easel Demo (built-in)',
    description: 'A tiny model shipped with Easel so it works before any download. 64×64, for trying things out.',
    family: 'demo',
    source: { kind: 'builtin', dir: 'resources/models/easel-demo' },
    // Trained by the project itself (tools/demo-model); the exact files it ships with.
    files: [
      ...configFiles(['tokenizer']),
      file('text_encoder/model.onnx', 521_470),
      file('unet/model.onnx', 6_420_408),
      file('vae_decoder/model.onnx', 1_912_990),
      file('vae_encoder/model.onnx', 886_368),
    ],
    // PNDM (PLMS) and LMS extrapolate from the last four noise predictions; this small UNet's guided
    // prediction changes too abruptly between steps for that, so at guidance 5 their pictures come out in the
    // wrong colours or smeared (4 and 5 of 24 right, against 22 of 24 for the others; LMS at order 1 or 2 is
    // as good as the rest, at 3 already worse). They stay diffusers-exact, so the demo offers only the others.
    // LCM needs a consistency-distilled model.
    schedulers: ['ddim', 'euler', 'euler-a', 'heun', 'dpmpp-2m', 'dpmpp-2m-karras', 'unipc'],
    defaults: { scheduler: 'ddim', steps: 20, guidance: 5, width: 64, height: 64 },
    requirements: { minRamGb: 1, minVramGb: 0 },
    licence: { name: 'MIT', url: 'https://opensource.org/license/mit' },
    // Its shapes and colours are those tools/demo-model/train.py draws (see the model's README).
    capabilities: {
      summary:
        'Only one circle, square, triangle or star in one colour on a background of another, at 64×64. ' +
        'Colours: red, green, blue, yellow, orange, purple, white, black. Other words are ignored.',
      examples: [
        'a red circle on a blue background',
        'a yellow star on a purple background',
        'a green square on a yellow background',
        'a white triangle on a black background',
      ],
      placeholder: 'a red circle on a blue background',
      suggestedModelId: 'sd-turbo',
    },
    provenance: ['Easel project: resources/models/easel-demo'],
  }),
  ...UPSCALER_ENTRIES,
  ...TINY_DECODER_ENTRIES,
];

export function findCatalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}

