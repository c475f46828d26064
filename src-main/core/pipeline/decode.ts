/**
 * Running the VAE: the model's own decoder (latents divided by its scaling factor; in tiles for large images)
 * or the tiny TAESD-style one (latents as the UNet makes them: AutoencoderTiny's scaling factor is 1), both
 * giving [1, 3, 8h, 8w] in [-1, 1]; and the encoder for img2img (in tiles for large images).
 */
import { EaselError } from '../errors';
import { type GraphSession, floatOutput, outputName, tensorInput } from './graph';
import { type Planes, type TileSizes, decodeNeedsTiles, encodeNeedsTiles, tiledDecode, tiledEncode } from './tiles';

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

/** The model's own decoder on latents already divided by its scaling factor, in tiles when they are large. */
export async function decodeFull(
  decoder: GraphSession,
  latents: Float32Array,
  dims: readonly [number, number, number],
  tiles: TileSizes,
): Promise<Float32Array> {
  const [channels, height, width] = dims;
  if (!decodeNeedsTiles(height, width, tiles)) return runDecoder(decoder, latents, dims);
  const image = await tiledDecode({ data: latents, channels, height, width }, tiles, async (tile) => ({
    data: await runDecoder(decoder, tile.data, [tile.channels, tile.height, tile.width]),
    channels: 3,
    height: tile.height * 8,
    width: tile.width * 8,
  }));
  return image.data;
}

/**
 * The VAE encoder's output for an image [1, 3, height, width] in [-1, 1], in tiles when it is large: the
 * legacy export gives a latent sample, optimum the distribution's parameters (mean, then log-variance).
 */
export async function encodeImage(
  encoder: GraphSession,
  image: Float32Array,
  height: number,
  width: number,
  tiles: TileSizes,
): Promise<Float32Array> {
  const input = tensorInput(encoder, 'sample');
  const output = encoder.outputs.some((o) => o.name === 'latent_sample') ? 'latent_sample' : outputName(encoder, 'latent_parameters');
  const encode = async (tile: Planes): Promise<Planes> => {
    const outputs = await encoder.run({ [input.name]: { data: tile.data, dims: [1, 3, tile.height, tile.width] } }, [output]);
    const encoded = floatOutput(outputs, output);
    const latentHeight = tile.height / 8;
    const latentWidth = tile.width / 8;
    return { data: encoded, channels: encoded.length / (latentHeight * latentWidth), height: latentHeight, width: latentWidth };
  };
  const planes = { data: image, channels: 3, height, width };
  if (!encodeNeedsTiles(height, width, tiles)) return (await encode(planes)).data;
  return (await tiledEncode(planes, tiles, encode)).data;
}
