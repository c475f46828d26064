import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src-main/core/models/catalog';
import { modelBadges } from '../../../src-renderer/components/models/badges';

describe('the badges on a model card', () => {
  it('never repeat what a catalog model’s name already says', () => {
    const badges = Object.fromEntries(
      CATALOG.map((entry) => [entry.displayName, modelBadges({
          name: entry.displayName,
          family: entry.family,
          origin: entry.source.kind === 'builtin' ? 'builtin' : 'catalog',
          upscaleFactor: entry.upscaleFactor ?? null,
        }),
      ]),
    );
    expect(badges).toMatchObject({
      'Stable Diffusion 1.5': [],
      'Stable Diffusion 1.5 Inpainting': [],
      'SD-Turbo': [],
      'SDXL-Turbo': [],
      'SDXL 1.0 base': [],
      'LCM Dreamshaper v7': [],
      'Easel Demo (built-in)': [],
      // An upscaler says so, with how much it enlarges.
      'Real-ESRGAN x4plus': ['Upscaler ×4'],
      'Real-ESRGAN x4plus Anime (light)': ['Upscaler ×4'],
      'ESRGAN slim ×2 (built-in)': ['Upscaler ×2'],
    });
  });

  it('name the family and the origin where the name does not', () => {
    expect(modelBadges({ name: 'dreamlike-photoreal', family: 'sd15', origin: 'imported' })).toEqual(['SD 1.5', 'Imported']);
    expect(modelBadges({ name: 'My SDXL mix', family: 'sdxl', origin: 'imported' })).toEqual(['Imported']);
    expect(modelBadges({ name: 'stable-diffusion-2-1', family: 'sd21', origin: 'imported' })).toEqual(['Imported']);
    expect(modelBadges({ name: 'Tiny demo', family: 'demo', origin: 'builtin' })).toEqual(['Built in']);
  });
});
