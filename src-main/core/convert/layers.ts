import path from 'node:path';
import { EaselError } from '../errors';
import type { SafetensorsFile } from '../formats/safetensors';
import type { TensorSource } from './checkpoint';
import { throwIfAborted } from './abort';
import type { OnnxGraph } from './onnx-graph';

/** One network's parameters under their diffusers names, read from the checkpoint one tensor at a time. */
export class Weights {
  private readonly used = new Set<string>();

  constructor(
    private readonly file: SafetensorsFile,
    private readonly names: ReadonlyMap<string, TensorSource>,
    readonly component: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** Parameters the checkpoint has that diffusers' model also drops on purpose. */
  ignore(predicate: (name: string) => boolean): void {
    for (const name of this.names.keys()) if (predicate(name)) this.used.add(name);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** The parameter's shape as diffusers holds it. */
  shape(name: string): number[] {
    const source = this.source(name);
    const shape = [...this.file.tensor(source.key).shape];
    if (source.rows !== undefined) shape[0] = source.rows[1] - source.rows[0];
    if (source.squeeze === true) return shape.slice(0, 2);
    if (source.transpose === true) return [shape[1]!, shape[0]!];
    return shape;
  }

  async read(name: string): Promise<Float32Array> {
    throwIfAborted(this.signal);
    const source = this.source(name);
    this.used.add(name);
    const tensor = this.file.tensor(source.key);
    let values = await this.file.readFloat32(source.key);
    if (source.rows !== undefined) {
      const rowLength = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
      values = values.slice(source.rows[0] * rowLength, source.rows[1] * rowLength);
    }
    if (source.transpose === true) values = transpose2d(values, tensor.shape[0]!, tensor.shape[1]!);
    return values;
  }

  /** Checkpoint parameters of this network the graph never used: a layout Easel does not know. */
  unused(): string[] {
    return [...this.names.keys()].filter((name) => !this.used.has(name));
  }

  private source(name: string): TensorSource {
    const source = this.names.get(name);
    if (source === undefined) {
      throw new EaselError(
        'model_invalid',
        `${path.basename(this.file.file)} has no weights for the ${this.component}'s ${name}; the checkpoint is incomplete or of a layout Easel does not know.`,
        { component: this.component, parameter: name },
      );
    }
    return source;
  }
}

export function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  return out;
}

/**
 * The building blocks of diffusers' modules as ONNX nodes. Every weight is named by its diffusers
 * parameter path and every node by its module path, so adapters (LoRA) find their targets by name.
 */
export class Layers {
  constructor(
    readonly g: OnnxGraph,
    readonly w: Weights,
  ) {}

  /** A parameter as stored (optionally given new dims of the same size). */
  async param(name: string, dims?: number[]): Promise<string> {
    const values = await this.w.read(name);
    return this.g.weight(name, dims ?? this.w.shape(name), values);
  }

  /** torch.nn.Linear: x @ Wᵀ + b; the weight is stored transposed ([in, out]) as MatMul wants it. */
  async linear(module: string, x: string, options: { bias?: boolean } = {}): Promise<string> {
    return this.g.within(module, async () => {
      const [out, inputs] = this.w.shape(`${module}.weight`) as [number, number];
      const weight = this.g.weight(`${module}.weight`, [inputs, out], transpose2d(await this.w.read(`${module}.weight`), out, inputs));
      let y = this.g.op('MatMul', [x, weight]);
      if (options.bias ?? true) y = this.g.op('Add', [y, await this.param(`${module}.bias`)]);
      return y;
    });
  }

  async conv(module: string, x: string, options: { stride?: number; pads?: number[] } = {}): Promise<string> {
    return this.g.within(module, async () => {
      const shape = this.w.shape(`${module}.weight`);
      const kernel = shape[2] ?? 1;
      const pad = Math.floor(kernel / 2);
      const weight = await this.param(`${module}.weight`, shape.length === 2 ? [...shape, 1, 1] : shape);
      const bias = await this.param(`${module}.bias`);
      return this.g.op('Conv', [x, weight, bias], {
        kernel_shape: [kernel, kernel],
        strides: [options.stride ?? 1, options.stride ?? 1],
        pads: options.pads ?? [pad, pad, pad, pad],
      });
    });
  }

  /** torch.nn.GroupNorm as InstanceNormalization over [B, groups, rest] (GroupNormalization is opset 18+). */
  async groupNorm(module: string, x: string, groups: number, eps: number): Promise<string> {
    return this.g.within(module, async () => {
      const [channels] = this.w.shape(`${module}.weight`) as [number];
      const grouped = this.g.op('Reshape', [x, this.g.int64s([0, groups, -1])]);
      const ones = this.g.constant([groups], new Float32Array(groups).fill(1));
      const zeros = this.g.constant([groups], new Float32Array(groups));
      const normed = this.g.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: { float: eps } });
      const back = this.g.op('Reshape', [normed, this.g.op('Shape', [x])]);
      const scaled = this.g.op('Mul', [back, await this.param(`${module}.weight`, [channels, 1, 1])]);
      return this.g.op('Add', [scaled, await this.param(`${module}.bias`, [channels, 1, 1])]);
    });
  }

  async layerNorm(module: string, x: string, eps: number): Promise<string> {
    return this.g.within(module, async () =>
      this.g.op('LayerNormalization', [x, await this.param(`${module}.weight`), await this.param(`${module}.bias`)], {
        axis: -1,
        epsilon: { float: eps },
      }),
    );
  }

  silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  /** The exact (erf) GELU of torch.nn.functional.gelu. */
  gelu(x: string): string {
    const erf = this.g.op('Erf', [this.g.op('Mul', [x, this.g.constant([], [Math.SQRT1_2])])]);
    const half = this.g.op('Mul', [x, this.g.constant([], [0.5])]);
    return this.g.op('Mul', [half, this.g.op('Add', [erf, this.g.constant([], [1])])]);
  }

  /** OpenAI CLIP's x·sigmoid(1.702x). */
  quickGelu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [this.g.op('Mul', [x, this.g.constant([], [1.702])])])]);
  }

  /**
   * Multi-head attention as diffusers' Attention computes it: softmax(q·kᵀ/√d [+ mask])·v over `heads`
   * heads, then to_out. Written as plain MatMul/Softmax so providers can fuse it.
   */
  async attention(
    module: string,
    x: string,
    context: string,
    heads: number,
    options: { names: [string, string, string, string]; qkvBias: boolean; mask?: string },
  ): Promise<string> {
    const [qName, kName, vName, outName] = options.names;
    const q = await this.linear(`${module}.${qName}`, x, { bias: options.qkvBias });
    const k = await this.linear(`${module}.${kName}`, context, { bias: options.qkvBias });
    const v = await this.linear(`${module}.${vName}`, context, { bias: options.qkvBias });
    const [width] = this.w.shape(`${module}.${qName}.weight`) as [number];
    const headDim = width / heads;
    if (!Number.isInteger(headDim)) throw new EaselError('model_invalid', `${module} is ${width} wide, which does not split into ${heads} heads.`);
    const attended = await this.g.within(module, async () => {
      const split = (value: string, perm: number[]) =>
        this.g.op('Transpose', [this.g.op('Reshape', [value, this.g.int64s([0, 0, heads, headDim])])], { perm });
      const qh = split(q, [0, 2, 1, 3]);
      const kh = split(k, [0, 2, 3, 1]);
      const vh = split(v, [0, 2, 1, 3]);
      let scores = this.g.op('Mul', [this.g.op('MatMul', [qh, kh]), this.g.constant([], [1 / Math.sqrt(headDim)])]);
      if (options.mask !== undefined) scores = this.g.op('Add', [scores, options.mask]);
      const probabilities = this.g.op('Softmax', [scores], { axis: -1 });
      const merged = this.g.op('Transpose', [this.g.op('MatMul', [probabilities, vh])], { perm: [0, 2, 1, 3] });
      return this.g.op('Reshape', [merged, this.g.int64s([0, 0, width])]);
    });
    return this.linear(`${module}.${outName}`, attended);
  }

  /** [B, C, H, W] → [B, H·W, C]. */
  toTokens(x: string): string {
    return this.g.op('Transpose', [this.g.op('Reshape', [x, this.g.int64s([0, 0, -1])])], { perm: [0, 2, 1] });
  }

  /** [B, H·W, C] → [B, C, H, W] with the spatial shape of `like`. */
  fromTokens(tokens: string, like: string): string {
    return this.g.op('Reshape', [this.g.op('Transpose', [tokens], { perm: [0, 2, 1] }), this.g.op('Shape', [like])]);
  }
}
