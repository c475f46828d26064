/**
 * The tiny decoders Easel installs once per model family: TAESD (SD 1.x/2.x) and TAESDXL (SDXL), madebyollin's
 * distilled VAE decoders (MIT), as julienkay's optimum-style ONNX exports (`vae_decoder/model.onnx`, latent_sample
 * → sample). A model without a `vae_decoder_tiny/` of its own decodes drafts and previews with the one of its
 * family once it is installed. Each file is pinned to its commit and to the SHA-256 its LFS pointer records; the
 * hub's pages give its size only rounded (4.91 MB), so the exact size is taken from the hub at download time.
 */
import type { CatalogEntry, TinyDecoderLine } from './catalog';

function tinyDecoder(
  e: Pick<CatalogEntry, 'id' | 'displayName' | 'description' | 'provenance'> & {
    line: TinyDecoderLine;
    summary: string;
    repo: string;
    revision: string;
    sha256: string;
  },
): CatalogEntry {
  const approxBytes = 4_910_000;
  return {
    id: e.id,
    displayName: e.displayName,
    description: e.description,
    family: 'tiny-decoder',
    inpainting: false,
    tinyDecoderFor: e.line,
    source: { kind: 'huggingface', repo: e.repo, revision: e.revision },
    files: [{ path: 'vae_decoder/model.onnx', approxBytes, sha256: e.sha256 }],
    // Never used: nothing generates with a decoder alone. Present because every entry has them.
    defaults: { scheduler: 'euler-a', steps: 1, guidance: 0, width: 512, height: 512 },
    approxTotalBytes: approxBytes,
    // About 1.2 M parameters: its activations at 1024² stay in the hundreds of MB.
    requirements: { minRamGb: 2, minVramGb: 0 },
    licence: { name: 'MIT', url: 'https://github.com/madebyollin/taesd/blob/main/LICENSE' },
    capabilities: { summary: e.summary, examples: [], placeholder: '', suggestedModelId: null },
    provenance: e.provenance,
  };
}

export const TINY_DECODER_ENTRIES: readonly CatalogEntry[] = [
  tinyDecoder({
    id: 'taesd',
    displayName: 'Tiny decoder for SD 1.x/2.x (TAESD)',
    description: 'Fast previews and drafts for SD 1.x/2.x: decodes their pictures many times faster than their own decoder, a little softer.',
    line: 'sd',
    summary: 'Fast previews and drafts for SD 1.x/2.x',
    repo: 'julienkay/taesd',
    revision: 'c8a437f',
    sha256: '0c9459fda7b8d582081be2494adbdaf806366728f49b8ba243f7dc132455ad10',
    provenance: [
      'https://huggingface.co/julienkay/taesd/tree/main (License: mit; commit c8a437f "add onnx models": vae_decoder/, vae_encoder/)',
      'https://huggingface.co/julienkay/taesd/blob/main/vae_decoder/model.onnx (LFS pointer: sha256 0c9459fd…ad10, 4.91 MB)',
      'https://github.com/madebyollin/taesd (MIT; taesd_* weights for SD 1.x/2.x)',
    ],
  }),
  tinyDecoder({
    id: 'taesdxl',
    displayName: 'Tiny decoder for SDXL (TAESDXL)',
    description: 'Fast previews and drafts for SDXL: decodes its pictures many times faster than its own decoder, a little softer.',
    line: 'sdxl',
    summary: 'Fast previews and drafts for SDXL',
    repo: 'julienkay/taesdxl',
    revision: '4d9534f',
    sha256: 'a2911f6ecd3fb71bd5bc8656dce9d1bff402a20b81f59cf2b39450b810c2ca98',
    provenance: [
      'https://huggingface.co/julienkay/taesdxl/tree/main (License: mit; commit 4d9534f "add onnx models": vae_decoder/, vae_encoder/)',
      'https://huggingface.co/julienkay/taesdxl/blob/main/vae_decoder/model.onnx (LFS pointer: sha256 a2911f6e…ca98, 4.91 MB)',
      'https://github.com/madebyollin/taesd (MIT; taesdxl_* weights for SDXL)',
    ],
  }),
];
