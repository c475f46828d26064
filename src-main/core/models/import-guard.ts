import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';

/** The parts every Stable Diffusion ONNX folder has at its top level. */
const EXPECTED_SUBFOLDERS = ['scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae_decoder'];

/**
 * Looks only at the top level of `folder` (a `model_index.json` file and the expected subfolders)
 * before anything below it is read, so naming `/etc` or a home folder walks nothing. Messages name
 * the folder and the parts it lacks, never a file that is not Easel's to show.
 */
export async function requireModelFolderTopLevel(folder: string): Promise<void> {
  const stat = await fsp.stat(folder).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new EaselError('not_found', `${folder} is not a folder Easel can open.`, { path: folder });
  }
  const entries = await fsp.readdir(folder, { withFileTypes: true }).catch(() => {
    throw new EaselError('forbidden', `Easel may not read ${folder}.`, { path: folder });
  });
  const files = new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
  const folders = new Set(entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name));
  const missing = [
    ...(files.has('model_index.json') ? [] : ['model_index.json']),
    ...EXPECTED_SUBFOLDERS.filter((name) => !folders.has(name)).map((name) => `${name}/`),
  ];
  if (missing.length > 0) {
    throw new EaselError(
      'model_invalid',
      `${path.basename(folder) || folder} is not a Stable Diffusion ONNX model folder: it has no ${missing.join(', ')}. ` +
        'Choose the folder that holds model_index.json.',
      { path: folder, missing },
    );
  }
}
