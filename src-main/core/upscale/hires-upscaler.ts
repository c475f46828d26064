import type { HiresUpscale } from '../pipeline/hires';
import { lanczosResize } from './resample';
import { builtinUpscaler, LANCZOS, upscaleRgb } from './upscale-image';

/**
 * Hires fix's enlarging step: for auto, the built-in upscaler of the smallest factor (2 or 4) that reaches the
 * target, its result resampled to the exact size as A1111 does; Lanczos alone when asked for or when no
 * built-in upscaler is installed.
 */
export function hiresUpscaler(modelDirs: () => Promise<readonly string[]>): HiresUpscale {
  return async (image, target, choice, signal) => {
    const needed = Math.max(target.width / image.width, target.height / image.height);
    const model = choice === 'lanczos' ? null : await builtinUpscaler(needed <= 2 ? 2 : 4, await modelDirs());
    if (model === null) return { image: await lanczosResize(image, target.width, target.height), upscaler: LANCZOS };
    const upscaled = await upscaleRgb(image, needed <= 2 ? 2 : 4, model, signal === undefined ? {} : { signal });
    const exact =
      upscaled.image.width === target.width && upscaled.image.height === target.height
        ? upscaled.image
        : await lanczosResize(upscaled.image, target.width, target.height);
    return { image: exact, upscaler: upscaled.upscaler };
  };
}
