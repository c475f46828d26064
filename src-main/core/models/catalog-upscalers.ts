/**
 * The upscalers Easel offers: super-resolution models that are one ESRGAN-style `.onnx` file ([1,3,h,w] RGB in
 * [0, 1] to [1,3,s·h,s·w]), read by model-folder/upscaler.ts. Hub entries are pinned to a commit with the exact
 * size and SHA-256 of their file as the hub's LFS pointer records it, so a download is checked before it is
 * installed; the built-in ones ship with Easel and make upscaling work offline.
 */
import type { CatalogEntry, CatalogFile } from './catalog';

/** What an upscaler's card says it is for; an upscaler takes no prompt, so it offers none. */
function enlarges(summary: string): CatalogEntry['capabilities'] {
  return { summary, examples: [], placeholder: '', suggestedModelId: null };
}

function upscaler(
  e: Pick<CatalogEntry, 'id' | 'displayName' | 'description' | 'source' | 'files' | 'licence' | 'provenance'> & {
    upscaleFactor: 2 | 4;
    summary: string;
  },
): CatalogEntry {
  const { summary, ...rest } = e;
  return {
    ...rest,
    family: 'upscaler',
    inpainting: false,
    // Never used: Generate and the setup wizard offer no upscaler. Present because every entry has them.
    defaults: { scheduler: 'euler-a', steps: 1, guidance: 0, width: 512, height: 512 },
    approxTotalBytes: e.files.reduce((sum, f) => sum + f.approxBytes, 0),
    // Runs on the CPU in 128–256 px tiles: a few hundred MB of activations at most.
    requirements: { minRamGb: 2, minVramGb: 0 },
    capabilities: enlarges(summary),
  };
}

function exactFile(path: string, bytes: number, sha256: string): CatalogFile {
  return { path, approxBytes: bytes, bytes, sha256 };
}

export const UPSCALER_ENTRIES: readonly CatalogEntry[] = [
  upscaler({
    id: 'real-esrgan-x4plus',
    displayName: 'Real-ESRGAN x4plus',
    description: 'The upscaler most people use for photos and renders: enlarges 4×, removing blur, noise and JPEG artefacts.',
    upscaleFactor: 4,
    summary: 'Enlarges photos, paintings and renders 4× with sharp, clean detail. A large network: slow on the CPU.',
    // Qualcomm AI Hub's float export of xinntao's RealESRGAN_x4plus. Its exports are made for one input size
    // (other conversions of it take 1×3×128×128); the tiler reads the size from the file and feeds exactly that.
    source: { kind: 'huggingface', repo: 'qualcomm/Real-ESRGAN-x4plus', revision: '6a7e0c049f123d9f1c81a567c0442cfd3fedf011' },
    files: [exactFile('Real-ESRGAN-x4plus.onnx', 67_123_260, 'e25d35c847f81e51a6f89cb939c373c9dc535871a820a4ab87ed1207a457f5c8')],
    licence: { name: 'BSD-3-Clause', url: 'https://github.com/xinntao/Real-ESRGAN/blob/master/LICENSE' },
    provenance: [
      'https://huggingface.co/qualcomm/Real-ESRGAN-x4plus/tree/6a7e0c049f123d9f1c81a567c0442cfd3fedf011 (License: bsd-3-clause; Real-ESRGAN-x4plus.onnx 67.1 MB)',
      'https://huggingface.co/qualcomm/Real-ESRGAN-x4plus/commit/6a7e0c049f123d9f1c81a567c0442cfd3fedf011 (LFS pointer: sha256 e25d35c8…, size 67123260)',
    ],
  }),
  upscaler({
    id: 'real-esrgan-x4plus-anime',
    displayName: 'Real-ESRGAN x4plus Anime (light)',
    description: 'A light Real-ESRGAN for anime and illustrations: enlarges 4×, keeping lines crisp and flat colours flat.',
    upscaleFactor: 4,
    summary: 'Enlarges anime, cartoons and line art 4×; photos come out painterly. A thirteenth the size of x4plus, so much quicker.',
    // A 4-block, 32-feature distillation of RealESRGAN_x4plus_anime_6B, exported to ONNX by its author.
    source: { kind: 'huggingface', repo: 'xiongjie/lightweight-real-ESRGAN-anime', revision: '2c0646c9aab36edd611efd2fea161387bb6876af' },
    files: [exactFile('RealESRGAN_x4plus_anime_4B32F.onnx', 5_156_099, '2208c7ae8db793330abf1248fbce15585ad317e921c456265572836b92926c9a')],
    // The export's repository states no licence; the Real-ESRGAN weights it derives from are BSD-3-Clause.
    licence: {
      name: 'Not stated (upstream: BSD-3-Clause)',
      url: 'https://huggingface.co/xiongjie/lightweight-real-ESRGAN-anime/tree/2c0646c9aab36edd611efd2fea161387bb6876af',
    },
    provenance: [
      'https://huggingface.co/xiongjie/lightweight-real-ESRGAN-anime/tree/2c0646c9aab36edd611efd2fea161387bb6876af (RealESRGAN_x4plus_anime_4B32F.onnx 5.16 MB; no licence, no README at this commit)',
      'https://huggingface.co/xiongjie/lightweight-real-ESRGAN-anime/commit/2c0646c9aab36edd611efd2fea161387bb6876af (LFS pointer: sha256 2208c7ae…, size 5156099)',
      'https://github.com/xinntao/Real-ESRGAN (BSD-3-Clause; RealESRGAN_x4plus_anime_6B)',
    ],
  }),
  ...([2, 4] as const).map((factor) =>
    upscaler({
      id: `esrgan-slim-x${factor}`,
      displayName: `ESRGAN slim ×${factor} (built-in)`,
      description: `A small upscaler shipped with Easel so enlarging works offline: ${factor}× and fast, with modest added detail.`,
      upscaleFactor: factor,
      summary: `Enlarges any picture ${factor}×, a little sharper than plain resampling. The default wherever Easel upscales.`,
      source: { kind: 'builtin', dir: `resources/models/esrgan-slim-x${factor}` },
      files: [{ path: 'model.onnx', approxBytes: factor === 2 ? 890_480 : 935_988 }],
      licence: { name: 'MIT (UpscalerJS, Kevin Scott)', url: 'https://opensource.org/license/mit' },
      provenance: [`Easel project: resources/models/esrgan-slim-x${factor} (converted by tools/upscaler from @upscalerjs/esrgan-slim 1.0.0)`],
    }),
  ),
];
