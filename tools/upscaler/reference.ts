import type { TfjsLayersModel } from './tfjs-layers';

/** An NHWC float32 activation, as TF.js keeps it. */
interface Nhwc {
  h: number;
  w: number;
  c: number;
  data: Float32Array;
}

/**
 * Runs a TF.js layers model straight from its Keras layers and HWIO kernels, in NHWC, with plain loops: an
 * implementation independent of the ONNX graph the converter builds, to check that graph against.
 * `input` is NHWC in the model's own range.
 */
export function runReference(model: TfjsLayersModel, input: Nhwc): Nhwc {
  const values = new Map<string, Nhwc>([[model.input, input]]);
  for (const layer of model.layers) {
    if (layer.className === 'InputLayer') continue;
    const args = layer.inputs.map((name) => values.get(name)!);
    values.set(layer.name, runLayer(model, layer.className, layer.name, layer.config, args));
  }
  return values.get(model.output)!;
}

function runLayer(model: TfjsLayersModel, className: string, name: string, config: Record<string, unknown>, args: Nhwc[]): Nhwc {
  const [x] = args as [Nhwc];
  switch (className) {
    case 'Conv2D': {
      const kernel = model.weights.get(`${name}/kernel`)!;
      const bias = model.weights.get(`${name}/bias`)!;
      return conv2dSame(x, kernel.shape as [number, number, number, number], kernel.data, bias.data);
    }
    case 'Activation':
      if (config['activation'] !== 'relu') throw new Error(`${name}: activation ${String(config['activation'])}`);
      return { ...x, data: x.data.map((v) => Math.max(0, v)) };
    case 'Add':
      return { ...x, data: x.data.map((v, i) => v + args[1]!.data[i]!) };
    case 'Concatenate': {
      const c = args.reduce((sum, a) => sum + a.c, 0);
      const data = new Float32Array(x.h * x.w * c);
      for (let p = 0; p < x.h * x.w; p++) {
        let offset = 0;
        for (const a of args) {
          data.set(a.data.subarray(p * a.c, (p + 1) * a.c), p * c + offset);
          offset += a.c;
        }
      }
      return { h: x.h, w: x.w, c, data };
    }
    case 'UpSampling2D': {
      const [sy, sx] = config['size'] as [number, number];
      const h = x.h * sy;
      const w = x.w * sx;
      const data = new Float32Array(h * w * x.c);
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const from = (Math.floor(y / sy) * x.w + Math.floor(xx / sx)) * x.c;
          data.set(x.data.subarray(from, from + x.c), (y * w + xx) * x.c);
        }
      }
      return { h, w, c: x.c, data };
    }
    default:
      throw new Error(`${name}: layer ${className} is not supported`);
  }
}

/** Stride-1 'same' convolution for odd kernels: zero padding of k/2 on each side, kernel [kh, kw, in, out]. */
function conv2dSame(x: Nhwc, [kh, kw, cin, cout]: [number, number, number, number], kernel: Float32Array, bias: Float32Array): Nhwc {
  const out = new Float32Array(x.h * x.w * cout);
  const py = (kh - 1) / 2;
  const px = (kw - 1) / 2;
  for (let y = 0; y < x.h; y++) {
    for (let xx = 0; xx < x.w; xx++) {
      const o = (y * x.w + xx) * cout;
      for (let co = 0; co < cout; co++) out[o + co] = bias[co]!;
      for (let ky = 0; ky < kh; ky++) {
        const iy = y + ky - py;
        if (iy < 0 || iy >= x.h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = xx + kx - px;
          if (ix < 0 || ix >= x.w) continue;
          const i = (iy * x.w + ix) * cin;
          const k = (ky * kw + kx) * cin * cout;
          for (let ci = 0; ci < cin; ci++) {
            const v = x.data[i + ci]!;
            const row = k + ci * cout;
            for (let co = 0; co < cout; co++) out[o + co] = out[o + co]! + v * kernel[row + co]!;
          }
        }
      }
    }
  }
  return { h: x.h, w: x.w, c: cout, data: out };
}
