import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { EaselError } from '../errors';
import { float16ToFloat32 } from '../runtime/float16';

/**
 * Reads the structure of an ONNX file (its graph's nodes and where each initializer's bytes are) without
 * loading the weights, and writes a patched copy of it in memory in which chosen initializers carry new
 * values. The copy stays small whatever the model's size: every other weight of any size becomes an
 * external-data reference (into the original model.onnx for inline weights, or into the side file it already
 * named), so ONNX Runtime reads them from the untouched files on disk.
 *
 * Field numbers from onnx.proto: ModelProto.graph=7; GraphProto.node=1, .initializer=5; NodeProto.input=1,
 * .output=2, .name=3, .op_type=4, .attribute=5; AttributeProto.name=1, .i=3; TensorProto.dims=1,
 * .data_type=2, .float_data=4, .int32_data=5, .name=8, .raw_data=9, .external_data=13, .data_location=14;
 * StringStringEntryProto.key=1, .value=2.
 */

export const ONNX_FLOAT = 1;
export const ONNX_FLOAT16 = 10;

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes (Gemm's transB is the one that matters here). */
  ints: Record<string, number>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  dataType: number;
  /** Byte range of the whole TensorProto message in model.onnx. */
  messageStart: number;
  messageEnd: number;
  /** Where the values are: inline raw bytes, packed float_data, or a side file. */
  data:
    | { kind: 'raw'; start: number; end: number }
    | { kind: 'floats'; start: number; end: number }
    | { kind: 'external'; location: string; offset: number; length: number }
    | { kind: 'none' };
}

export interface OnnxGraphIndex {
  file: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxInitializer>;
  /** Byte ranges of the model's top-level fields and of the graph's fields, to copy what is not changed. */
  modelFields: FieldRange[];
  graphField: FieldRange;
  graphFields: FieldRange[];
}

interface FieldRange {
  field: number;
  /** From the tag's first byte to the field's end. */
  start: number;
  end: number;
  /** Where a length-delimited field's body starts. */
  bodyStart: number;
}

class Reader {
  private buffer = Buffer.alloc(256 * 1024);
  private bufferStart = 0;
  private bufferLength = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  async byteAt(position: number): Promise<number> {
    if (position >= this.size) throw new Error('unexpected end of file');
    if (position < this.bufferStart || position >= this.bufferStart + this.bufferLength) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, this.buffer.length, position);
      this.bufferStart = position;
      this.bufferLength = bytesRead;
    }
    return this.buffer[position - this.bufferStart]!;
  }

  async varint(position: number): Promise<{ value: number; next: number }> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = await this.byteAt(position + i);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return { value, next: position + i + 1 };
      scale *= 128;
    }
    throw new Error('varint too long');
  }

  async bytes(start: number, end: number): Promise<Buffer> {
    const out = Buffer.alloc(end - start);
    const { bytesRead } = await this.handle.read(out, 0, out.length, start);
    if (bytesRead !== out.length) throw new Error('unexpected end of file');
    return out;
  }
}

/** The fields of one message, as byte ranges (nested messages are not entered). */
async function fields(reader: Reader, start: number, end: number): Promise<Array<FieldRange & { wireType: number; value: number }>> {
  const out: Array<FieldRange & { wireType: number; value: number }> = [];
  let position = start;
  while (position < end) {
    const tag = await reader.varint(position);
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    let next: number;
    let value = 0;
    let bodyStart = tag.next;
    if (wireType === 0) {
      const v = await reader.varint(tag.next);
      value = v.value;
      next = v.next;
    } else if (wireType === 1) next = tag.next + 8;
    else if (wireType === 5) next = tag.next + 4;
    else if (wireType === 2) {
      const length = await reader.varint(tag.next);
      bodyStart = length.next;
      next = length.next + length.value;
    } else throw new Error(`unsupported wire type ${wireType}`);
    if (next > end) throw new Error('a field runs past its message');
    out.push({ field, wireType, value, start: position, end: next, bodyStart });
    position = next;
  }
  return out;
}

const MAX_NAME = 64 * 1024;

async function text(reader: Reader, range: FieldRange): Promise<string> {
  if (range.end - range.bodyStart > MAX_NAME) throw new Error('a name is implausibly long');
  return (await reader.bytes(range.bodyStart, range.end)).toString('utf8');
}

async function readNode(reader: Reader, start: number, end: number): Promise<OnnxNode> {
  const node: OnnxNode = { name: '', opType: '', inputs: [], outputs: [], ints: {} };
  for (const f of await fields(reader, start, end)) {
    if (f.field === 1 && f.wireType === 2) node.inputs.push(await text(reader, f));
    else if (f.field === 2 && f.wireType === 2) node.outputs.push(await text(reader, f));
    else if (f.field === 3 && f.wireType === 2) node.name = await text(reader, f);
    else if (f.field === 4 && f.wireType === 2) node.opType = await text(reader, f);
    else if (f.field === 5 && f.wireType === 2) {
      let name = '';
      let value: number | undefined;
      for (const a of await fields(reader, f.bodyStart, f.end)) {
        if (a.field === 1 && a.wireType === 2) name = await text(reader, a);
        if (a.field === 3 && a.wireType === 0) value = a.value;
      }
      if (value !== undefined) node.ints[name] = value;
    }
  }
  return node;
}

async function readInitializer(reader: Reader, start: number, end: number): Promise<OnnxInitializer> {
  const tensor: OnnxInitializer = { name: '', dims: [], dataType: 0, messageStart: start, messageEnd: end, data: { kind: 'none' } };
  const external: Record<string, string> = {};
  let isExternal = false;
  for (const f of await fields(reader, start, end)) {
    if (f.field === 1 && f.wireType === 0) tensor.dims.push(f.value);
    else if (f.field === 1 && f.wireType === 2) {
      for (let at = f.bodyStart; at < f.end; ) {
        const v = await reader.varint(at);
        tensor.dims.push(v.value);
        at = v.next;
      }
    } else if (f.field === 2 && f.wireType === 0) tensor.dataType = f.value;
    else if (f.field === 4 && f.wireType === 2) tensor.data = { kind: 'floats', start: f.bodyStart, end: f.end };
    else if (f.field === 8 && f.wireType === 2) tensor.name = await text(reader, f);
    else if (f.field === 9 && f.wireType === 2 && (f.end > f.bodyStart || tensor.data.kind === 'none')) {
      tensor.data = { kind: 'raw', start: f.bodyStart, end: f.end };
    }
    else if (f.field === 14 && f.wireType === 0) isExternal = f.value === 1;
    else if (f.field === 13 && f.wireType === 2) {
      let key = '';
      let value = '';
      for (const e of await fields(reader, f.bodyStart, f.end)) {
        if (e.field === 1 && e.wireType === 2) key = await text(reader, e);
        if (e.field === 2 && e.wireType === 2) value = await text(reader, e);
      }
      external[key] = value;
    }
  }
  if (isExternal && external.location !== undefined) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    tensor.data = {
      kind: 'external',
      location: external.location,
      offset: Number(external.offset ?? 0),
      length: external.length !== undefined ? Number(external.length) : count * bytesPerElement(tensor.dataType),
    };
  }
  return tensor;
}

function bytesPerElement(dataType: number): number {
  return dataType === ONNX_FLOAT16 ? 2 : 4;
}

/** Indexes an ONNX file's top-level graph; throws model_invalid when it is not a readable ONNX protobuf. */
export async function indexOnnxGraph(file: string): Promise<OnnxGraphIndex> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const reader = new Reader(handle, size);
    const modelFields = await fields(reader, 0, size);
    const graphField = modelFields.find((f) => f.field === 7 && f.wireType === 2);
    if (graphField === undefined) throw new Error('it has no graph');
    const graphFields = await fields(reader, graphField.bodyStart, graphField.end);
    const nodes: OnnxNode[] = [];
    const initializers = new Map<string, OnnxInitializer>();
    for (const f of graphFields) {
      if (f.wireType !== 2) continue;
      if (f.field === 1) nodes.push(await readNode(reader, f.bodyStart, f.end));
      if (f.field === 5) {
        const tensor = await readInitializer(reader, f.bodyStart, f.end);
        initializers.set(tensor.name, tensor);
      }
    }
    return { file, nodes, initializers, modelFields, graphField, graphFields };
  } catch (error) {
    if (error instanceof EaselError) throw error;
    throw new EaselError('model_invalid', `${describe(file)} is not a readable ONNX file (${(error as Error).message}).`, { file });
  } finally {
    await handle.close();
  }
}

/** An initializer's values widened to float32 (float32 and float16 weights). */
export async function readInitializerFloats(index: OnnxGraphIndex, tensor: OnnxInitializer): Promise<Float32Array> {
  const bytes = await readInitializerBytes(index, tensor);
  const aligned = Buffer.from(bytes);
  if (tensor.dataType === ONNX_FLOAT) return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
  if (tensor.dataType === ONNX_FLOAT16) return float16ToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2));
  throw new EaselError('model_invalid', `The weight ${tensor.name} in ${describe(index.file)} is neither float32 nor float16.`);
}

async function readInitializerBytes(index: OnnxGraphIndex, tensor: OnnxInitializer): Promise<Buffer> {
  const expected = tensor.dims.reduce((a, b) => a * b, 1) * bytesPerElement(tensor.dataType);
  const data = tensor.data;
  let bytes: Buffer;
  if (data.kind === 'raw' || data.kind === 'floats') {
    bytes = await readRange(index.file, data.start, data.end);
  } else if (data.kind === 'external') {
    bytes = await readRange(externalPath(index.file, data.location), data.offset, data.offset + data.length);
  } else {
    throw new EaselError('model_invalid', `The weight ${tensor.name} in ${describe(index.file)} has no data Easel can read.`);
  }
  if (bytes.length !== expected) {
    throw new EaselError('model_invalid', `The weight ${tensor.name} in ${describe(index.file)} does not match its shape.`);
  }
  return bytes;
}

async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  const handle = await fsp.open(file, 'r');
  try {
    const out = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(out, 0, out.length, start);
    if (bytesRead !== out.length) throw new EaselError('model_invalid', `${describe(file)} ends before a weight it declares.`, { file });
    return out;
  } finally {
    await handle.close();
  }
}

/** A side file named by the model, which must stay inside the model's folder. */
function externalPath(modelFile: string, location: string): string {
  const dir = path.dirname(modelFile);
  const resolved = path.resolve(dir, location);
  if (path.relative(dir, resolved).startsWith('..') || path.isAbsolute(location)) {
    throw new EaselError('model_unsafe', `${describe(modelFile)} points at weights outside its folder (${location}).`, { location });
  }
  return resolved;
}

/**
 * A new value for one initializer, in the initializer's own element type (float32 or float16 bits), written
 * straight into the patched model's buffer when it is assembled, so a merged weight exists in memory once.
 */
export interface InitializerValue {
  dims: number[];
  dataType: number;
  byteLength: number;
  write(into: Uint8Array): Promise<void>;
}

/** Inline weights smaller than this are copied into the patched model rather than referenced. */
const REFERENCE_THRESHOLD = 1024;

/** Bytes known now, or a weight of known length written when the buffer is filled. */
type Piece = Uint8Array | { length: number; write(into: Uint8Array): Promise<void> };

/**
 * The bytes of a model equal to `index.file` except that the named initializers hold the given values. To be
 * loaded with the model's folder as ONNX Runtime's external-initializer folder. The result is assembled in a
 * single buffer: every piece's length is known before any weight is merged.
 */
export async function patchedModelBytes(index: OnnxGraphIndex, values: ReadonlyMap<string, InitializerValue>): Promise<Uint8Array> {
  const handle = await fsp.open(index.file, 'r');
  try {
    const reader = new Reader(handle, (await handle.stat()).size);
    const ownName = path.basename(index.file);
    const byStart = new Map([...index.initializers.values()].map((tensor) => [tensor.messageStart, tensor]));
    const graph: Piece[] = [];
    for (const f of index.graphFields) {
      const tensor = f.field === 5 ? byStart.get(f.bodyStart) : undefined;
      const value = tensor ? values.get(tensor.name) : undefined;
      if (tensor && value) {
        graph.push(...lengthField(5, tensorMessage(tensor.name, value.dims, value.dataType, { raw: value })));
      } else if (tensor && tensor.data.kind === 'raw' && tensor.data.end - tensor.data.start >= REFERENCE_THRESHOLD) {
        const reference = { location: ownName, offset: tensor.data.start, length: tensor.data.end - tensor.data.start };
        graph.push(...lengthField(5, tensorMessage(tensor.name, tensor.dims, tensor.dataType, { external: reference })));
      } else {
        graph.push(await reader.bytes(f.start, f.end));
      }
    }
    const model: Piece[] = [];
    for (const f of index.modelFields) {
      if (f.start === index.graphField.start) model.push(...lengthField(7, graph));
      else model.push(await reader.bytes(f.start, f.end));
    }
    const out = new Uint8Array(model.reduce((total, piece) => total + piece.length, 0));
    let at = 0;
    for (const piece of model) {
      if (piece instanceof Uint8Array) out.set(piece, at);
      else await piece.write(out.subarray(at, at + piece.length));
      at += piece.length;
    }
    return out;
  } finally {
    await handle.close();
  }
}

function tensorMessage(
  name: string,
  dims: number[],
  dataType: number,
  data: { raw: InitializerValue } | { external: { location: string; offset: number; length: number } },
): Piece[] {
  const parts: Piece[] = [];
  for (const dim of dims) parts.push(varint(1 << 3), varint(dim));
  parts.push(varint(2 << 3), varint(dataType));
  parts.push(...lengthField(8, [Buffer.from(name, 'utf8')]));
  if ('raw' in data) {
    const { byteLength, write } = data.raw;
    parts.push(...lengthField(9, [{ length: byteLength, write }]));
  } else {
    for (const [key, value] of Object.entries(data.external)) {
      parts.push(...lengthField(13, [...lengthField(1, [Buffer.from(key)]), ...lengthField(2, [Buffer.from(String(value))])]));
    }
    parts.push(varint(14 << 3), varint(1));
  }
  return parts;
}

function lengthField(field: number, body: Piece[]): Piece[] {
  const length = body.reduce((total, piece) => total + piece.length, 0);
  return [varint((field << 3) | 2), varint(length), ...body];
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function describe(file: string): string {
  return `${path.basename(path.dirname(file))}/${path.basename(file)}`;
}
