/**
 * Running VAE decoders: the model's own (latents divided by its scaling factor) or the tiny TAESD-style one
 * (latents as the UNet makes them: AutoencoderTiny's scaling factor is 1). Both give [1, 3, 8h, 8w] in [-1, 1].
 */
import { EaselError } from '../errors';
import { type GraphSession, floatOutput, outputName, tensorInput } from './graph';

/** One decoder call on latents [1, channels, height, width]: the image tensor [1, 3, 8h, 8w]. */
export async function runDecoder(
  decoder: GraphSession,
  latents: Float32Array,
  dims: readonly [number, number, number],
): Promise<Float32Array> {
  const [, height, width] = dims;
  const input = tensorInput(decoder, 'latent_sample');
  const output = outputName(decoder, 'sample');
  const outputs = await decoder.run({ [input.name]: { data: latents, dims: [1, ...dims] } }, [output]);
  const image = floatOutput(outputs, output);
  if (image.length !== 3 * 64 * height * width) {
    throw new EaselError('model_invalid', `The VAE decoder gave ${image.length} values for a ${width * 8}x${height * 8} image.`);
  }
  return image;
}
