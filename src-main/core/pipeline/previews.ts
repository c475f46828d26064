import type { GraphSession } from './graph';
import { runDecoder } from './decode';
import { imageTensorToRgb, previewLatents } from './latents';
import type { Clock, LatentPreview } from './types';

/** The most of the denoising time that tiny-decoder previews may take. */
export const TINY_PREVIEW_SHARE = 0.2;

/**
 * The preview after each step. With a tiny decoder it is the picture itself at full size, decoded as often
 * as keeps its cost under TINY_PREVIEW_SHARE of the denoising time (every step where the UNet is slow, as on
 * a CPU; every few where it is fast), the last one given again in between. Without one, or if it fails, it
 * is the linear latent->RGB approximation at latent size.
 */
export class Previewer {
  private tiny: GraphSession | null;
  private last: LatentPreview | null = null;
  private lastCostMs = 0;
  private sinceLastMs = 0;

  constructor(
    tiny: GraphSession | null,
    private readonly clock: Clock,
    private readonly dims: readonly [number, number, number],
    private readonly xl: boolean,
  ) {
    this.tiny = tiny;
  }

  /** The preview of `latents`, after a step that took `stepMs`. */
  async preview(latents: Float32Array, stepMs: number): Promise<LatentPreview> {
    const [, height, width] = this.dims;
    if (this.tiny === null) return previewLatents(latents, height, width, this.xl);
    this.sinceLastMs += stepMs;
    if (this.last !== null && this.sinceLastMs * TINY_PREVIEW_SHARE < this.lastCostMs) return this.last;
    const started = this.clock.now();
    try {
      const image = await runDecoder(this.tiny, latents, this.dims);
      this.last = { rgb: imageTensorToRgb(image, height * 8, width * 8), width: width * 8, height: height * 8 };
    } catch {
      // A preview is a courtesy: a tiny decoder that fails here leaves the linear previews, not a failed image.
      this.tiny = null;
      return previewLatents(latents, height, width, this.xl);
    }
    this.lastCostMs = this.clock.now() - started;
    this.sinceLastMs = 0;
    return this.last;
  }
}
