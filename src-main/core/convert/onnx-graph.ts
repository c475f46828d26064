import fs from 'node:fs';
import { onnx } from 'onnx-proto';
import { float32ToFloat16 } from '../runtime/float16';

/**
 * Builds one ONNX graph whose weights stream into an external-data file as they are added, so a converted
 * UNet never sits in memory whole: only the graph's structure (a few MB) is kept until `finish`.
 * Opset 17 (LayerNormalization, no GroupNormalization: GroupNorm is built from InstanceNormalization, which
 * every execution provider runs).
 */
export const OPSET = 17;
const IR_VERSION = 8;

/** How weights are stored on disk; the graph always computes in float32 (a Cast follows fp16 weights). */
export type StorageType = 'float32' | 'float16';

type AttributeValue = number | number[] | string | { float: number };

export type Dim = number | string;

export class OnnxGraph {
  private readonly nodes: onnx.NodeProto[] = [];
  private readonly inputs: onnx.ValueInfoProto[] = [];
  private readonly outputs: onnx.ValueInfoProto[] = [];
  private readonly initializers: onnx.TensorProto[] = [];
  private readonly used = new Set<string>();
  private offset = 0;
  private counter = 0;
  /** The module path new nodes are named under (`/down_blocks.0/resnets.1`). */
  private scope: string[] = [];

  constructor(
    readonly name: string,
    /** An open file descriptor of the external-data file, written sequentially. */
    private readonly dataFd: number,
    /** The data file's name relative to model.onnx. */
    private readonly dataFileName: string,
    readonly storage: StorageType,
  ) {}

  /** Runs `body` with node names under the diffusers module path `module` (`down_blocks.0.resnets.1`). */
  async within<T>(module: string, body: () => Promise<T>): Promise<T> {
    const saved = this.scope;
    // diffusers' exporter names nodes /down_blocks.0/resnets.1/…: an index stays with the name before it.
    this.scope = module.split(/\.(?=[^\d])/).filter(Boolean);
    try {
      return await body();
    } finally {
      this.scope = saved;
    }
  }

  input(name: string, type: 'float32' | 'int64', dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, value: string, dims: Dim[]): void {
    this.nodes.push(onnx.NodeProto.create({ name: `/${name}/Identity`, opType: 'Identity', input: [value], output: [name] }));
    this.outputs.push(valueInfo(name, 'float32', dims));
  }

  /**
   * A weight written to the data file in the storage type, returned as a float32 value. fp16 storage is
   * followed by a Cast, which ONNX Runtime folds once when the session is created.
   */
  weight(name: string, dims: number[], values: Float32Array): string {
    if (this.used.has(name)) throw new Error(`weight ${name} added twice`);
    this.used.add(name);
    const bytes =
      this.storage === 'float16' ? bytesOf(float32ToFloat16(values)) : bytesOf(values);
    const padding = (64 - (this.offset % 64)) % 64;
    if (padding > 0) this.write(new Uint8Array(padding));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: this.storage === 'float16' ? onnx.TensorProto.DataType.FLOAT16 : onnx.TensorProto.DataType.FLOAT,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: this.dataFileName },
          { key: 'offset', value: String(this.offset) },
          { key: 'length', value: String(bytes.length) },
        ],
      }),
    );
    this.write(bytes);
    if (this.storage === 'float32') return name;
    const cast = `${name}_float`;
    this.nodes.push(
      onnx.NodeProto.create({
        name: `${name}/Cast`,
        opType: 'Cast',
        input: [name],
        output: [cast],
        attribute: [attribute('to', onnx.TensorProto.DataType.FLOAT)],
      }),
    );
    return cast;
  }

  /** A small float32 constant kept inside model.onnx. */
  constant(dims: number[], values: ArrayLike<number>): string {
    return this.inline(onnx.TensorProto.DataType.FLOAT, dims, bytesOf(Float32Array.from(values)));
  }

  int64s(values: number[]): string {
    return this.inline(onnx.TensorProto.DataType.INT64, [values.length], bytesOf(new BigInt64Array(values.map(BigInt))));
  }

  /** One node named after the current module path and its op (`/…/to_q/MatMul`). */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, label: string = opType): string {
    const base = `/${[...this.scope, label].join('/')}`;
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    const output = `${name}_output_0`;
    this.nodes.push(
      onnx.NodeProto.create({
        name,
        opType,
        input: inputs,
        output: [output],
        attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
      }),
    );
    return output;
  }

  /** The graph itself (weights referenced in the data file), ready to be written as model.onnx. */
  finish(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'easel-convert',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private inline(dataType: onnx.TensorProto.DataType, dims: number[], bytes: Uint8Array): string {
    this.counter += 1;
    const name = `/${[...this.scope, `Constant_${this.counter}`].join('/')}`;
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType, rawData: bytes }));
    return name;
  }

  private write(bytes: Uint8Array): void {
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(this.dataFd, bytes, written, bytes.length - written);
    this.offset += bytes.length;
  }
}

function valueInfo(name: string, type: 'float32' | 'int64', dims: Dim[]): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: type === 'float32' ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  });
}

function attribute(name: string, value: AttributeValue): onnx.AttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value });
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.float });
}

function bytesOf(array: Float32Array | Uint16Array | BigInt64Array): Uint8Array {
  // Typed arrays are little-endian on every platform ONNX Runtime ships for, as raw_data requires.
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}
