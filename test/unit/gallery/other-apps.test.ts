import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseImageParameters } from '../../../src-main/core/gallery/a1111';
import { parseComfyUiPrompt, schedulerFromComfyUi } from '../../../src-main/core/gallery/comfyui';
import { readPngTextChunks } from '../../../src-main/core/gallery/png-text';
import { EaselError } from '../../../src-main/core/errors';

/** Real files: see test/fixtures/png/SOURCES.md for where each came from. */
function realPng(name: string): Record<string, string> {
  return readPngTextChunks(readFileSync(path.join(__dirname, '../../fixtures/png', name)));
}

/**
 * Fooocus 2.5's own scheme, as `FooocusMetadataParser.parse_string` writes it: the log entries by key, then
 * the expanded prompts, steps, model stem and hash, VAE and LoRAs, keys sorted, in `parameters`, with
 * `fooocus_scheme: fooocus` beside it.
 */
const FOOOCUS_JSON = JSON.stringify({
  adm_guidance: '(1.5, 0.8, 0.3)',
  base_model: 'juggernautXL_v8Rundiffusion',
  base_model_hash: 'aeb7e9e689',
  full_negative_prompt: ['(worst quality, low quality, normal quality, lowres:1.4)'],
  full_prompt: ['a cozy cabin in the woods, snow, warm light', 'cinematic still, emotional, harmonious'],
  guidance_scale: 4,
  loras: [['sd_xl_offset_example-lora_1.0', 0.1, '4852686128']],
  metadata_scheme: 'fooocus',
  negative_prompt: '',
  performance: 'Speed',
  prompt: 'a cozy cabin in the woods, snow, warm light',
  prompt_expansion: 'a cozy cabin in the woods, snow, warm light, highly detailed',
  refiner_model: 'None',
  refiner_switch: 0.5,
  resolution: '(1152, 896)',
  sampler: 'dpmpp_2m',
  scheduler: 'karras',
  seed: '1447284395620716',
  sharpness: 2,
  steps: 30,
  styles: "['Fooocus V2', 'Fooocus Enhance', 'Fooocus Sharp']",
  vae: 'Default (model)',
  version: 'Fooocus v2.5.5',
});

describe('ComfyUI PNGs', () => {
  it('reads a SamplerCustom workflow: sampler from KSamplerSelect, steps from SDTurboScheduler (real file)', () => {
    const parsed = parseImageParameters(realPng('comfyui-sdxlturbo-samplercustom.png'));
    expect(parsed).toEqual({
      source: 'comfyui',
      prompt: 'beautiful landscape scenery glass bottle with a galaxy inside cute fennec fox snow HDR sunset',
      negativePrompt: 'text, watermark',
      seed: '0',
      steps: 1,
      guidance: 1,
      scheduler: 'euler-a',
      width: 512,
      height: 512,
      modelName: 'sd_xl_turbo_1.0_fp16',
    });
  });

  it('reads the checkpoint behind a LoraLoader (real file)', () => {
    const parsed = parseImageParameters(realPng('comfyui-lora.png'));
    expect(parsed).toMatchObject({
      source: 'comfyui',
      prompt: 'masterpiece best quality girl',
      negativePrompt: 'bad hands',
      seed: '851616030078638',
      steps: 20,
      guidance: 8,
      scheduler: 'euler',
      modelName: 'v1-5-pruned-emaonly',
    });
  });

  it('reads SamplerCustomAdvanced: seed from its noise node, cfg and prompts from its guider', () => {
    const graph = {
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'dreamshaper_8.safetensors' } },
      '2': { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse', clip: ['1', 1] } },
      '3': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['1', 1] } },
      '4': { class_type: 'RandomNoise', inputs: { noise_seed: 42 } },
      '5': { class_type: 'CFGGuider', inputs: { cfg: 6.5, model: ['1', 0], positive: ['2', 0], negative: ['3', 0] } },
      '6': { class_type: 'KSamplerSelect', inputs: { sampler_name: 'dpmpp_2m' } },
      '7': { class_type: 'BasicScheduler', inputs: { scheduler: 'karras', steps: 25, denoise: 1, model: ['1', 0] } },
      '8': { class_type: 'EmptyLatentImage', inputs: { width: 640, height: 448, batch_size: 1 } },
      '9': {
        class_type: 'SamplerCustomAdvanced',
        inputs: { noise: ['4', 0], guider: ['5', 0], sampler: ['6', 0], sigmas: ['7', 0], latent_image: ['8', 0] },
      },
    };
    expect(parseComfyUiPrompt(JSON.stringify(graph))).toEqual({
      prompt: 'a lighthouse',
      negativePrompt: 'blurry',
      seed: '42',
      steps: 25,
      guidance: 6.5,
      scheduler: 'dpmpp-2m-karras',
      width: 640,
      height: 448,
      modelName: 'dreamshaper_8',
    });
  });

  it("maps early ComfyUI's k-diffusion function names", () => {
    expect(schedulerFromComfyUi('sample_dpmpp_2m', 'karras')).toBe('dpmpp-2m-karras');
    expect(schedulerFromComfyUi('sample_euler_ancestral', 'normal')).toBe('euler-a');
    expect(schedulerFromComfyUi('sample_dpm_fast', 'normal')).toBeUndefined();
  });
});

describe('Fooocus PNGs', () => {
  it("reads Fooocus' JSON scheme: the typed prompt, steps, size, guidance, seed, sampler and model", () => {
    expect(parseImageParameters({ parameters: FOOOCUS_JSON, fooocus_scheme: 'fooocus' })).toEqual({
      source: 'fooocus',
      prompt: 'a cozy cabin in the woods, snow, warm light',
      negativePrompt: '',
      steps: 30,
      guidance: 4,
      seed: '1447284395620716',
      width: 1152,
      height: 896,
      scheduler: 'dpmpp-2m-karras',
      modelName: 'juggernautXL_v8Rundiffusion',
    });
  });

  it('leaves out a sampler Easel does not have instead of guessing', () => {
    const json = JSON.stringify({ ...JSON.parse(FOOOCUS_JSON), sampler: 'dpmpp_2m_sde_gpu' });
    expect(parseImageParameters({ parameters: json, fooocus_scheme: 'fooocus' }).scheduler).toBeUndefined();
  });

  it("reads Fooocus' A1111 scheme as A1111 text, credited to Fooocus", () => {
    const text =
      'a red fox\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M Karras, Seed: 12, Size: 1024x1024, CFG scale: 4, Version: Fooocus v2.5.5';
    expect(parseImageParameters({ parameters: text, fooocus_scheme: 'a1111' })).toMatchObject({
      source: 'fooocus',
      prompt: 'a red fox',
      negativePrompt: 'blurry',
      steps: 30,
      seed: '12',
      width: 1024,
    });
  });

  it('refuses JSON it does not recognise rather than reading it as an A1111 prompt', () => {
    const cases: Array<Record<string, string>> = [{ parameters: '{"foo": 1}' }, { parameters: '{not json', fooocus_scheme: 'fooocus' }];
    for (const chunks of cases) {
      let error: unknown;
      try {
        parseImageParameters(chunks);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(EaselError);
      expect((error as EaselError).code).toBe('image_invalid');
    }
  });
});
