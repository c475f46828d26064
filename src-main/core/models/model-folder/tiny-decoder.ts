/**
 * Reads a tiny decoder add-on folder (TAESD / TAESDXL exported in the optimum layout): `vae_decoder/model.onnx`,
 * checked like every model part and described from its header. The pipeline feeds it the UNet's latents as they
 * are (AutoencoderTiny's scaling factor is 1) and reads [-1, 1] pixels back, so the export must take
 * `latent_sample` [B, 4, h, w] and give `sample` [B, 3, 8h, 8w]; another export is refused with what differs.
 */
import path from 'node:path';
import { EaselError } from '../../errors';
import { listLoadableFiles } from './files';
import { checkOnnxFile, type OnnxValueInfo } from './onnx-file';

/** Where an add-on folder keeps its decoder; the session cache opens `<dir>/<component>/model.onnx`. */
export const TINY_DECODER_ADDON_COMPONENT = 'vae_decoder';

export interface TinyDecoderFolder {
  /** Absolute. */
  dir: string;
  /** Absolute path of its `model.onnx`. */
  file: string;
}

export async function readTinyDecoderFolder(dir: string): Promise<TinyDecoderFolder> {
  const root = path.resolve(dir);
  const files = await listLoadableFiles(root, () => new EaselError('not_found', `No tiny decoder folder at ${root}.`, { dir: root }));
  const relative = `${TINY_DECODER_ADDON_COMPONENT}/model.onnx`;
  if (!files.includes(relative)) {
    throw new EaselError('model_invalid', `The tiny decoder at ${root} has no ${relative}.`, { dir: root, missing: [relative] });
  }
  const file = path.join(root, relative);
  const { inputs, outputs } = checkOnnxFile(file, root);
  const input = inputs.find((value) => value.name === 'latent_sample');
  const output = outputs.find((value) => value.name === 'sample');
  if (inputs.length !== 1 || !hasChannels(input, 4) || !hasChannels(output, 3)) {
    const described = (values: OnnxValueInfo[]) => values.map((value) => `${value.name} [${value.shape?.join(', ') ?? '?'}]`).join(', ');
    throw new EaselError(
      'model_invalid',
      `The tiny decoder ${relative} in ${root} is not a latent decoder Easel can run: it should take latent_sample [B, 4, h, w] and give sample [B, 3, 8h, 8w]; it takes ${described(inputs)} and gives ${described(outputs)}.`,
      { dir: root, file: relative },
    );
  }
  return { dir: root, file };
}

/** A float [batch, channels, height, width] tensor whose channel axis is this count (or left symbolic). */
function hasChannels(value: OnnxValueInfo | undefined, channels: number): boolean {
  if (value === undefined || value.elementType !== 'float32' || value.shape === null || value.shape.length !== 4) return false;
  return value.shape[1] === channels || typeof value.shape[1] !== 'number';
}
