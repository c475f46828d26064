/**
 * Writes the test suite's random-weight tiny decoder (test/fixtures/onnx/tiny-decoder.ts) to an ONNX file,
 * and its spec and the weights read back from that file (by initializer name) as JSON, for reference.py to
 * run through its own implementation of DecoderTiny.
 *   npx tsx tools/tiny-decoder/write-fixture.ts /tmp/tiny-decoder
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { buildTinyDecoder, tinyDecoderFixtureSpec } from '../../test/fixtures/onnx/tiny-decoder';

const out = process.argv[2];
if (out === undefined) {
  console.error('usage: write-fixture.ts OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const { model } = buildTinyDecoder(tinyDecoderFixtureSpec);
writeFileSync(path.join(out, 'model.onnx'), model);
writeFileSync(path.join(out, 'spec.json'), `${JSON.stringify(tinyDecoderFixtureSpec)}\n`);
// Only the named (state-dict) initializers: the graph's own constants (3, 2, 1, the scales) are not weights.
const weights: Record<string, { dims: number[]; values: number[] }> = {};
for (const tensor of onnx.ModelProto.decode(model).graph!.initializer) {
  if (!tensor.name!.startsWith('layers.')) continue;
  const raw = tensor.rawData!;
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  weights[tensor.name!] = { dims: tensor.dims!.map(Number), values: Array.from(values) };
}
writeFileSync(path.join(out, 'weights.json'), JSON.stringify(weights));
console.log(`wrote ${path.join(out, 'model.onnx')}`);
