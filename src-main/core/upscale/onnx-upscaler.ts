import { EaselError } from '../errors';
import type { HostTensor, TensorInfo } from '../runtime/session';
import type { TileUpscaler } from './tiles';

/** The part of an ONNX session an upscaler needs: ESRGAN-style exports take one image, give one image. */
export interface UpscalerSession {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
}

/**
 * A tile upscaler over a super-resolution model that maps [1, 3, h, w] RGB in [0, 1] to [1, 3, s·h, s·w]
 * (Real-ESRGAN's exports and their kind); values are clamped to [0, 1] afterwards by the tiler.
 */
export function sessionTileUpscaler(session: UpscalerSession): TileUpscaler {
  const input = session.inputs[0];
  const output = session.outputs[0];
  if (input === undefined || output === undefined || session.inputs.length !== 1) {
    throw new EaselError('model_invalid', 'An upscaler model must take exactly one image input and give one image output.');
  }
  return async (pixels, width, height) => {
    const result = (await session.run({ [input.name]: { data: pixels, dims: [1, 3, height, width] } }))[output.name];
    if (!(result?.data instanceof Float32Array)) throw new EaselError('inference_failed', 'The upscaler gave no image.');
    for (const value of result.data) {
      if (!Number.isFinite(value)) throw new EaselError('inference_failed', 'The upscaler produced invalid numbers (NaN).');
    }
    return result.data;
  };
}
