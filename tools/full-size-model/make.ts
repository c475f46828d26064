/**
 * Makes the full-size model `npm run bench -- --full-size DIR` measures: SD 1.5 at its real sizes with random
 * weights, converted by Easel's own checkpoint converter to fp32 ONNX in the export layout, plus a random
 * tiny decoder of TAESD's size (64 channels, blocks 3-3-3-1) at vae_decoder_tiny/. About 4 GB on disk;
 * the checkpoint it converts from is written beside DIR and removed after.
 *   npx tsx tools/full-size-model/make.ts DIR
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { convertCheckpoint } from '../../src-main/core/convert/convert';
import { writeFullSizeSd15Checkpoint } from '../../test/fixtures/checkpoints';
import { buildTinyDecoder, type TinyDecoderSpec } from '../../test/fixtures/onnx/tiny-decoder';

const TAESD_SIZE: TinyDecoderSpec = { seed: 'taesd-size', floatType: 'float32', channels: 64, blocks: [3, 3, 3, 1] };

async function main(out: string | undefined): Promise<void> {
  if (out === undefined) {
    console.error('usage: make.ts DIR   (DIR must not exist yet)');
    process.exit(2);
  }
  const dir = path.resolve(out);
  const checkpoint = `${dir}.checkpoint.safetensors`;
  try {
    console.log('writing a full-size fp16 SD 1.5 checkpoint with random weights…');
    await writeFullSizeSd15Checkpoint(checkpoint);
    console.log(`converting it to fp32 ONNX in ${dir}…`);
    await convertCheckpoint(checkpoint, dir, {
      tokenizerDir: path.resolve(__dirname, '../../resources/tokenizers/clip'),
      precision: 'fp32',
      onStage: (stage) => console.log(`  ${stage}`),
    });
    const tiny = path.join(dir, 'vae_decoder_tiny');
    await mkdir(tiny);
    await writeFile(path.join(tiny, 'model.onnx'), buildTinyDecoder(TAESD_SIZE).model);
    console.log(`done: npm run bench -- --full-size ${out}`);
  } finally {
    await rm(checkpoint, { force: true });
  }
}

void main(process.argv[2]);
