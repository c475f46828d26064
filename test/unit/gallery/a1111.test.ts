import { describe, expect, it } from 'vitest';
import { schedulerNames } from '../../../src-preload/api';
import { EaselError } from '../../../src-main/core/errors';
import {
  formatA1111Parameters,
  parseA1111Parameters,
  parseImageParameters,
  schedulerFromA1111,
} from '../../../src-main/core/gallery/a1111';
import { parseJsonKeepingLargeIntegers } from '../../../src-main/core/gallery/comfyui';
import { formatEaselMetadata } from '../../../src-main/core/gallery/easel-metadata';
import {
  A1111_HIRES,
  A1111_IMG2IMG,
  A1111_V110,
  A1111_V16_NO_NEGATIVE,
  COMFYUI_DEFAULT_PROMPT,
  COMFYUI_HIRES_PROMPT,
  COMFYUI_HIRES_SEED,
  COMFYUI_WORKFLOW,
  INVOKEAI_V3,
  INVOKEAI_V4,
  imageMeta,
} from './fixtures';

describe('formatA1111Parameters', () => {
  it('writes the exact A1111 layout', () => {
    const text = formatA1111Parameters(
      imageMeta({ prompt: 'a cat', negativePrompt: 'dog', modelName: 'v1-5-pruned-emaonly', app: 'Easel 0.1.0' }),
    );
    expect(text).toBe(
      'a cat\nNegative prompt: dog\n' +
        'Steps: 25, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, Seed: 123456, Size: 64x48, ' +
        'Model: v1-5-pruned-emaonly, Version: Easel 0.1.0',
    );
  });

  it('leaves out an empty negative prompt and quotes values with commas or colons', () => {
    const text = formatA1111Parameters(
      imageMeta({ negativePrompt: '', scheduler: 'euler-a', modelName: 'SD 1.5: pruned, fp16', strength: 0.6 }),
    );
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toContain('Sampler: Euler a, CFG scale');
    expect(text).toContain('Model: "SD 1.5: pruned, fp16", Denoising strength: 0.6');
  });

  it("writes the inpaint fields as A1111 spells them and reads them back", () => {
    const masked = imageMeta({ strength: 0.75, maskBlur: 4, maskedContent: 'original', inpaintArea: 'masked', maskPadding: 32 });
    const text = formatA1111Parameters(masked);
    expect(text).toContain(
      'Denoising strength: 0.75, Mask blur: 4, Masked content: original, Inpaint area: Only masked, Masked area padding: 32, Version',
    );
    expect(parseA1111Parameters(text)).toMatchObject({ strength: 0.75, maskBlur: 4, maskedContent: 'original', inpaintArea: 'masked', maskPadding: 32 });
    const whole = formatA1111Parameters(imageMeta({ strength: 1, maskBlur: 0, maskedContent: 'noise', inpaintArea: 'whole', maskPadding: 32 }));
    expect(whole).toContain('Denoising strength: 1, Mask blur: 0, Masked content: latent noise, Version');
    expect(parseA1111Parameters(whole)).toMatchObject({ maskBlur: 0, maskedContent: 'noise' });
    expect(parseA1111Parameters('x\nSteps: 20, Seed: 1, Inpaint area: Whole picture, Mask blur: 8')).toMatchObject({
      inpaintArea: 'whole',
      maskBlur: 8,
    });
  });

  it("keeps an edit's fields in Easel's own chunk, outpaint extents included", () => {
    const edit = { strength: 1, maskBlur: 4, inpaintArea: 'masked', maskPadding: 16, maskedContent: 'noise', outpaint: { left: 64, top: 0, right: 0, bottom: 8 } } as const;
    expect(parseImageParameters({ easel: formatEaselMetadata(imageMeta(edit)) })).toMatchObject({ ...edit, source: 'easel' });
  });

  it("records the tiny decoder as A1111's TAESD and reads it back; the full decoder writes nothing", () => {
    const tiny = formatA1111Parameters(imageMeta({ decoder: 'tiny' }));
    expect(tiny).toContain(', VAE Decoder: TAESD');
    expect(parseA1111Parameters(tiny).decoder).toBe('tiny');
    const full = formatA1111Parameters(imageMeta({ decoder: 'full' }));
    expect(full).not.toContain('VAE Decoder');
    expect(parseA1111Parameters(full).decoder).toBeUndefined();
  });

  it('round-trips every scheduler, multi-line prompts and 20-digit seeds through the parser', () => {
    for (const scheduler of schedulerNames) {
      const meta = imageMeta({
        scheduler,
        prompt: 'line one, (detail:1.1)\nline two: with a colon',
        negativePrompt: 'bad hands,\nextra fingers',
        seed: '18446744073709551615',
        modelName: 'My model, v2: final',
        strength: 0.35,
      });
      const parsed = parseA1111Parameters(formatA1111Parameters(meta));
      expect(parsed).toEqual({
        prompt: meta.prompt,
        negativePrompt: meta.negativePrompt,
        scheduler,
        steps: meta.steps,
        guidance: meta.guidance,
        seed: meta.seed,
        width: meta.width,
        height: meta.height,
        modelName: meta.modelName,
        strength: 0.35,
      });
    }
  });
});

describe('parseA1111Parameters on files from A1111', () => {
  it('reads v1.10 with a multi-line prompt, a schedule type and quoted values holding commas', () => {
    expect(parseA1111Parameters(A1111_V110)).toEqual({
      prompt: 'masterpiece, best quality, a red fox in a snowy forest,\nmorning mist, <lora:add_detail:0.6>',
      negativePrompt: '(worst quality, low quality:1.4), lowres, bad anatomy, watermark',
      steps: 28,
      scheduler: 'dpmpp-2m-karras',
      guidance: 6.5,
      seed: '3456789012',
      width: 768,
      height: 512,
      modelName: 'v1-5-pruned-emaonly',
      // film_grain is in the hash list but no tag of the prompt applies it: its weight is unknown.
      loras: [{ name: 'add_detail', scale: 0.6, hash: '7c6bad76eb54' }],
    });
  });

  it('reads the pre-1.9 "DPM++ 2M Karras" sampler name and a missing negative prompt', () => {
    expect(parseA1111Parameters(A1111_V16_NO_NEGATIVE)).toMatchObject({
      prompt: 'a cat in a spacesuit, studio lighting',
      negativePrompt: '',
      scheduler: 'dpmpp-2m-karras',
      guidance: 7,
      seed: '1234',
      width: 512,
      height: 512,
    });
  });

  it('takes img2img denoising strength, but not the hires-fix one, and leaves unknown samplers out', () => {
    expect(parseA1111Parameters(A1111_IMG2IMG)).toMatchObject({ scheduler: 'euler-a', strength: 0.55, height: 768 });
    const hires = parseA1111Parameters(A1111_HIRES);
    expect(hires).not.toHaveProperty('strength');
    expect(hires).not.toHaveProperty('scheduler');
    expect(hires).toMatchObject({ prompt: 'portrait of an old sailor', steps: 20, seed: '42', modelName: 'sdXL_v10VAEFix' });
  });

  it('treats text without a settings line as all prompt', () => {
    expect(parseA1111Parameters('just a prompt\nover two lines')).toEqual({
      prompt: 'just a prompt\nover two lines',
      negativePrompt: '',
    });
  });

  it('maps DPM++ 2M by schedule type and A1111 version', () => {
    expect(schedulerFromA1111('DPM++ 2M', 'Karras')).toBe('dpmpp-2m-karras');
    expect(schedulerFromA1111('DPM++ 2M', 'Uniform')).toBe('dpmpp-2m');
    expect(schedulerFromA1111('DPM++ 2M', 'Exponential')).toBeUndefined();
    expect(schedulerFromA1111('DPM++ 2M', undefined, 'v1.5.1')).toBe('dpmpp-2m');
    expect(schedulerFromA1111('DPM++ 2M', undefined, 'v1.10.1')).toBe('dpmpp-2m-karras');
    expect(schedulerFromA1111('PLMS')).toBe('pndm');
    expect(schedulerFromA1111('DPM2 a Karras')).toBeUndefined();
  });
});

describe('parseImageParameters', () => {
  it('prefers the easel chunk to the parameters text', () => {
    const meta = imageMeta({ scheduler: 'lcm', steps: 4, strength: 0.8 });
    const parsed = parseImageParameters({
      parameters: 'something else\nSteps: 99, Sampler: Euler, Seed: 5',
      easel: formatEaselMetadata(meta),
    });
    expect(parsed).toEqual({
      source: 'easel',
      prompt: meta.prompt,
      negativePrompt: meta.negativePrompt,
      modelId: meta.modelId,
      modelName: meta.modelName,
      scheduler: 'lcm',
      steps: 4,
      guidance: meta.guidance,
      seed: meta.seed,
      width: meta.width,
      height: meta.height,
      strength: 0.8,
    });
  });

  it('falls back to A1111 text when the easel chunk is not valid Easel metadata', () => {
    const parsed = parseImageParameters({ easel: '{"prompt": 3}', parameters: A1111_V16_NO_NEGATIVE });
    expect(parsed.source).toBe('a1111');
    expect(parsed.seed).toBe('1234');
  });

  it("reads ComfyUI's default graph", () => {
    expect(parseImageParameters({ prompt: COMFYUI_DEFAULT_PROMPT, workflow: COMFYUI_WORKFLOW })).toEqual({
      source: 'comfyui',
      prompt: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,',
      negativePrompt: 'text, watermark',
      seed: '156680208700286',
      steps: 20,
      guidance: 8,
      scheduler: 'euler',
      width: 512,
      height: 512,
      modelName: 'v1-5-pruned-emaonly',
    });
  });

  it('reads the first pass of a ComfyUI hires graph through links, keeping a seed past 2^53 exact', () => {
    expect(parseImageParameters({ prompt: COMFYUI_HIRES_PROMPT })).toEqual({
      source: 'comfyui',
      prompt: 'a watercolor map of an imaginary island, "Isla Nube", compass rose',
      negativePrompt: 'photo, text, signature',
      seed: COMFYUI_HIRES_SEED,
      steps: 30,
      guidance: 6.5,
      scheduler: 'dpmpp-2m-karras',
      width: 768,
      height: 1024,
      modelName: 'sd_xl_base_1.0',
    });
  });

  it('reads ComfyUI img2img denoise as strength', () => {
    const graph = JSON.parse(COMFYUI_DEFAULT_PROMPT) as Record<string, { inputs: Record<string, unknown>; class_type: string }>;
    graph['5'] = { inputs: { pixels: ['10', 0], vae: ['4', 2] }, class_type: 'VAEEncode' };
    graph['10'] = { inputs: { image: 'photo.png' }, class_type: 'LoadImage' };
    graph['3']!.inputs.denoise = 0.6;
    graph['3']!.inputs.sampler_name = 'uni_pc';
    const parsed = parseImageParameters({ prompt: JSON.stringify(graph) });
    expect(parsed).toMatchObject({ source: 'comfyui', strength: 0.6, scheduler: 'unipc' });
    expect(parsed).not.toHaveProperty('width');
  });

  it('reads InvokeAI 4 and 3 metadata', () => {
    expect(parseImageParameters({ invokeai_metadata: INVOKEAI_V4 })).toEqual({
      source: 'invokeai',
      prompt: 'a cozy cabin in a snowy forest at dusk, warm light in the windows',
      negativePrompt: 'blurry, low quality',
      seed: '2795541345',
      steps: 32,
      guidance: 6,
      width: 1024,
      height: 768,
      scheduler: 'dpmpp-2m-karras',
      modelName: 'Juggernaut XL v9',
    });
    const v3 = parseImageParameters({ invokeai_metadata: INVOKEAI_V3 });
    expect(v3).toMatchObject({ source: 'invokeai', prompt: 'landscape', modelName: 'amixx_3Prunedfp16', steps: 50 });
    expect(v3).not.toHaveProperty('scheduler');
  });

  it('throws not_found when no known metadata is present', () => {
    const cases: Record<string, string>[] = [{}, { Software: 'GIMP' }, { prompt: 'not json' }, { prompt: '{"1": {"class_type": "X", "inputs": {}}}' }];
    for (const chunks of cases) {
      try {
        parseImageParameters(chunks);
        throw new Error('expected not_found');
      } catch (error) {
        expect(error).toBeInstanceOf(EaselError);
        expect((error as EaselError).code).toBe('not_found');
      }
    }
  });
});

describe('parseJsonKeepingLargeIntegers', () => {
  it('keeps integers past 2^53 as strings and leaves strings and other numbers alone', () => {
    const text = '{"a": 18446744073709551615, "b": "99999999999999999999", "c": [1.5e300, -9007199254740993, 12], "d": "x\\"1"}';
    expect(parseJsonKeepingLargeIntegers(text)).toEqual({
      a: '18446744073709551615',
      b: '99999999999999999999',
      c: [1.5e300, '-9007199254740993', 12],
      d: 'x"1',
    });
  });
});
