import { describe, expect, it } from 'vitest';
import { escapeXml, renderPlaceholder } from '../../../src-main/core/placeholder';

const base = { prompt: 'a lighthouse at dusk', seed: '42', width: 128, height: 96, reason: 'every execution provider failed' };

describe('renderPlaceholder', () => {
  it('draws an RGB image of the requested size, marked as a placeholder', async () => {
    const image = await renderPlaceholder({ ...base, notes: ['Skipped cpu: the UNet produced NaN'] });
    expect(image.width).toBe(128);
    expect(image.height).toBe(96);
    expect(image.rgb.length).toBe(128 * 96 * 3);
    expect(image.metadata.placeholder).toBe(true);
    expect(image.metadata.provider).toBe('placeholder');
    expect(image.metadata.seed).toBe('42');
    expect(image.metadata.notes[0]).toBe('Skipped cpu: the UNet produced NaN');
    expect(image.metadata.notes.at(-1)).toContain('every execution provider failed');
  });

  it('writes the label on the gradient (the image is not a plain gradient)', async () => {
    const image = await renderPlaceholder(base);
    // Text is drawn in white: a gradient of these colours never reaches near-white pixels on its own.
    let white = 0;
    for (let i = 0; i < image.rgb.length; i += 3) {
      if (image.rgb[i]! > 240 && image.rgb[i + 1]! > 240 && image.rgb[i + 2]! > 240) white++;
    }
    expect(white).toBeGreaterThan(50);
  });

  it('gives the same picture for the same seed and a different one for another seed', async () => {
    const a = await renderPlaceholder(base);
    const b = await renderPlaceholder(base);
    const c = await renderPlaceholder({ ...base, seed: '43' });
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
  });

  it('draws prompts holding markup and control characters as text', async () => {
    const image = await renderPlaceholder({ ...base, prompt: '<svg onload="x()"> & </text>\u0001 '.repeat(20), width: 64, height: 64 });
    expect(image.rgb.length).toBe(64 * 64 * 3);
  });

  it('keeps the rest of the request in the metadata', async () => {
    const image = await renderPlaceholder({
      ...base,
      parameters: { modelId: 'm', modelName: 'Model', scheduler: 'ddim', steps: 4, guidance: 7, negativePrompt: 'fog', strength: 0.5 },
    });
    expect(image.metadata).toMatchObject({ modelId: 'm', modelName: 'Model', scheduler: 'ddim', steps: 4, strength: 0.5 });
  });
});

describe('escapeXml', () => {
  it('escapes markup and removes control characters', () => {
    expect(escapeXml(`<a href="x">&'\u0007`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos; ');
  });
});
