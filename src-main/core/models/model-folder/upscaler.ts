/**
 * Reads an upscaler folder: one ESRGAN-style `.onnx` file at its top level (Real-ESRGAN's exports, Easel's built-in
 * ones), checked like every model part (no weights outside the folder, no custom operators, nothing that runs
 * code) and described from its header without loading its weights: the input and output names, and the sizes
 * its shapes pin. Exports made for phones often take one fixed tile (Qualcomm's: 1×3×128×128); the tiler must
 * then feed exactly that size.
 */
import path from 'node:path';
import { EaselError } from '../../errors';
import { listLoadableFiles } from './files';
import { checkOnnxFile, type OnnxValueInfo } from './onnx-file';

export interface UpscalerFolder {
  /** Absolute. */
  dir: string;
  /** Absolute path of the `.onnx` file. */
  file: string;
  input: string;
  output: string;
  /** The one tile size the export accepts, when its input shape fixes height and width; null when any size goes. */
  fixedTile: { width: number; height: number } | null;
  /** The enlargement its shapes pin (fixed input and output sizes); null when only running it can tell. */
  scale: number | null;
}

export async function readUpscalerFolder(dir: string): Promise<UpscalerFolder> {
  const root = path.resolve(dir);
  const files = await listLoadableFiles(root, () => new EaselError('not_found', `model: no upscaler folder at ${root}.`, { field: 'model', dir: root }));
  const onnx = files.filter((file) => file.endsWith('.onnx') && !file.includes('/'));
  if (onnx.length !== 1) {
    throw new EaselError('model_invalid', `model: ${root} should hold one .onnx upscaler; it holds ${onnx.length}.`, {
      field: 'model',
      dir: root,
      file: onnx.length === 0 ? '.' : onnx[0],
    });
  }
  const file = path.join(root, onnx[0]!);
  const { inputs, outputs } = checkOnnxFile(file, root);
  const input = inputs[0];
  const output = outputs[0];
  if (inputs.length !== 1 || outputs.length < 1 || !isImage(input) || !isImage(output)) {
    throw new EaselError(
      'model_invalid',
      `${onnx[0]} is not an image upscaler: it should take one [1, 3, height, width] float picture and give one back.`,
      { field: 'model', dir: root, file: onnx[0] },
    );
  }
  const [inHeight, inWidth] = [input.shape![2], input.shape![3]];
  const [outHeight, outWidth] = [output.shape![2], output.shape![3]];
  const fixedTile = typeof inHeight === 'number' && typeof inWidth === 'number' && inHeight > 0 && inWidth > 0 ? { width: inWidth, height: inHeight } : null;
  const scale =
    fixedTile !== null && typeof outWidth === 'number' && typeof outHeight === 'number' && outWidth / fixedTile.width === outHeight / fixedTile.height
      ? outWidth / fixedTile.width
      : null;
  return { dir: root, file, input: input.name, output: output.name, fixedTile, scale };
}

/** A float picture tensor, [1 or any, 3, height, width]. */
function isImage(value: OnnxValueInfo | undefined): value is OnnxValueInfo {
  if (value === undefined || value.elementType !== 'float32' || value.shape === null || value.shape.length !== 4) return false;
  const [batch, channels] = value.shape;
  return (batch === 1 || typeof batch !== 'number') && (channels === 3 || typeof channels !== 'number');
}
