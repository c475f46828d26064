/**
 * Converts UpscalerJS's ESRGAN-slim (RDN) TF.js layers models to ONNX in the shape Easel's upscaler expects
 * ([1,3,h,w] RGB in [0,1] → [1,3,s·h,s·w] in [0,1]) and checks each against an independent NHWC
 * implementation of the same layers (reference.ts).
 *
 *   npm pack @upscalerjs/esrgan-slim@1.0.0 && tar xzf upscalerjs-esrgan-slim-1.0.0.tgz
 *   npx tsx tools/upscaler/convert.ts package resources/models
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, SeededRandom } from '../../test/fixtures/onnx/graph';
import { runReference } from './reference';
import { readTfjsLayersModel, type TfjsLayersModel } from './tfjs-layers';

/** UpscalerJS's RDN models take and give pixels in [0, 255]. */
const MODEL_RANGE = 255;

function buildOnnx(model: TfjsLayersModel): Uint8Array {
  const g = new GraphBuilder('esrgan-slim');
  const values = new Map<string, string>([[model.input, g.mul(g.input('input', 'float32', [1, 3, 'height', 'width']), g.scalar(MODEL_RANGE))]]);
  for (const layer of model.layers) {
    if (layer.className === 'InputLayer') continue;
    const args = layer.inputs.map((name) => values.get(name)!);
    values.set(layer.name, convertLayer(g, model, layer.className, layer.name, layer.config, args));
  }
  const scaled = g.mul(values.get(model.output)!, g.scalar(1 / MODEL_RANGE));
  g.output('output', g.op('Clip', [scaled, g.scalar(0), g.scalar(1)]), 'float32', [1, 3, 'height_out', 'width_out']);
  return g.build().model;
}

function convertLayer(g: GraphBuilder, model: TfjsLayersModel, className: string, name: string, config: Record<string, unknown>, args: string[]): string {
  switch (className) {
    case 'Conv2D': {
      const kernel = model.weights.get(`${name}/kernel`)!;
      const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
      if (kh % 2 !== 1 || kw % 2 !== 1) throw new Error(`${name}: even kernels are not supported`);
      const oihw = new Float32Array(kernel.data.length);
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let i = 0; i < cin; i++)
            for (let o = 0; o < cout; o++) oihw[((o * cin + i) * kh + y) * kw + x] = kernel.data[((y * kw + x) * cin + i) * cout + o]!;
      const weight = g.floats([cout, cin, kh, kw], oihw);
      const bias = g.floats([cout], model.weights.get(`${name}/bias`)!.data);
      const py = (kh - 1) / 2;
      const px = (kw - 1) / 2;
      return g.op('Conv', [args[0]!, weight, bias], { pads: [py, px, py, px] });
    }
    case 'Activation':
      if (config['activation'] !== 'relu') throw new Error(`${name}: activation ${String(config['activation'])}`);
      return g.op('Relu', [args[0]!]);
    case 'Add':
      return g.add(args[0]!, args[1]!);
    case 'Concatenate':
      return g.op('Concat', args, { axis: 1 });
    case 'UpSampling2D': {
      const [sy, sx] = config['size'] as [number, number];
      const scales = g.floats([4], [1, 1, sy, sx]);
      return g.op('Resize', [args[0]!, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    }
    default:
      throw new Error(`${name}: layer ${className} is not supported`);
  }
}

/** Largest difference between the ONNX model and the reference on a deterministic noise picture. */
async function maxDifference(onnxFile: string, model: TfjsLayersModel, width: number, height: number): Promise<number> {
  const random = new SeededRandom('esrgan-slim-check');
  const nchw = Float32Array.from({ length: 3 * width * height }, () => (random.next() + 1) / 2);
  const session = await ort.InferenceSession.create(onnxFile);
  const result = (await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, height, width]) }))['output']!;
  await session.release();
  const nhwc = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < width * height; p++) nhwc[p * 3 + c] = nchw[c * width * height + p]! * MODEL_RANGE;
  const reference = runReference(model, { h: height, w: width, c: 3, data: nhwc });
  const out = result.data as Float32Array;
  if (out.length !== reference.data.length) throw new Error(`ONNX gave ${out.length} values, the reference ${reference.data.length}`);
  const plane = reference.h * reference.w;
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) {
      const expected = Math.min(1, Math.max(0, reference.data[p * 3 + c]! / MODEL_RANGE));
      worst = Math.max(worst, Math.abs(out[c * plane + p]! - expected));
    }
  }
  return worst;
}

async function main(packageDir: string, outDir: string): Promise<void> {
  for (const scale of [2, 4]) {
    const model = readTfjsLayersModel(path.join(packageDir, 'models', `x${scale}`, 'model.json'));
    const dir = path.join(outDir, `esrgan-slim-x${scale}`);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'model.onnx');
    writeFileSync(file, buildOnnx(model));
    const worst = await maxDifference(file, model, 23, 17);
    console.log(`${file}: ×${scale}, max |ONNX − reference| = ${worst.toExponential(2)} (on a 23×17 picture, values in [0, 1])`);
    if (!(worst < 1e-4)) throw new Error(`x${scale}: the ONNX model differs from the reference by ${worst}`);
  }
}

const [packageDir, outDir] = process.argv.slice(2);
if (packageDir === undefined || outDir === undefined) {
  console.error('usage: tsx tools/upscaler/convert.ts UNPACKED_PACKAGE_DIR OUT_DIR');
  process.exit(2);
}
main(packageDir, outDir).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
