import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Lists the external-data `location` entries of every tensor in an ONNX file without loading it:
 * a minimal protobuf walker that reads only the messages that can hold tensors and skips the rest
 * (raw weights included) by seeking, so a 2 GB UNet costs a few kilobytes of reads.
 *
 * Field numbers from onnx.proto: ModelProto.graph=7, .functions=25; FunctionProto.node=7;
 * GraphProto.node=1, .initializer=5, .sparse_initializer=15; NodeProto.attribute=5;
 * AttributeProto.t=5, .g=6, .tensors=10, .graphs=11, .sparse_tensor=22, .sparse_tensors=23;
 * SparseTensorProto.values=1, .indices=2; TensorProto.name=8, .external_data=13;
 * StringStringEntryProto.key=1, .value=2.
 */

export interface ExternalDataReference {
  tensor: string;
  location: string;
}

type MessageKind = 'model' | 'function' | 'graph' | 'node' | 'attribute' | 'sparse' | 'tensor' | 'entry';

const CHILDREN: Record<MessageKind, Partial<Record<number, MessageKind>>> = {
  model: { 7: 'graph', 25: 'function' },
  function: { 7: 'node' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  tensor: { 13: 'entry' },
  entry: {},
};

class MalformedOnnx extends Error {}

class RandomAccessReader {
  private buffer = Buffer.alloc(64 * 1024);
  private bufferStart = 0;
  private bufferLength = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  private async fill(position: number): Promise<void> {
    const { bytesRead } = await this.handle.read(this.buffer, 0, this.buffer.length, position);
    this.bufferStart = position;
    this.bufferLength = bytesRead;
  }

  async byteAt(position: number): Promise<number> {
    if (position >= this.size) throw new MalformedOnnx('unexpected end of file');
    if (position < this.bufferStart || position >= this.bufferStart + this.bufferLength) await this.fill(position);
    return this.buffer[position - this.bufferStart] as number;
  }

  async varint(position: number): Promise<{ value: number; next: number }> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i += 1) {
      const byte = await this.byteAt(position + i);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return { value, next: position + i + 1 };
      scale *= 128;
    }
    throw new MalformedOnnx('varint too long');
  }

  async bytes(position: number, length: number): Promise<Buffer> {
    const out = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(out, 0, length, position);
    if (bytesRead !== length) throw new MalformedOnnx('unexpected end of file');
    return out;
  }
}

/** Strings longer than this are not tensor names or paths; they are skipped, not read. */
const MAX_STRING = 64 * 1024;

async function walk(
  reader: RandomAccessReader,
  start: number,
  end: number,
  kind: MessageKind,
  found: ExternalDataReference[],
  depth: number,
): Promise<{ name?: string; key?: string; value?: string }> {
  if (depth > 64) throw new MalformedOnnx('nesting too deep');
  const strings: { name?: string; key?: string; value?: string } = {};
  const locations: string[] = [];
  let position = start;
  while (position < end) {
    const tag = await reader.varint(position);
    position = tag.next;
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (wireType === 0) {
      position = (await reader.varint(position)).next;
    } else if (wireType === 1) {
      position += 8;
    } else if (wireType === 5) {
      position += 4;
    } else if (wireType === 2) {
      const length = await reader.varint(position);
      const bodyStart = length.next;
      const bodyEnd = bodyStart + length.value;
      if (bodyEnd > end) throw new MalformedOnnx('field runs past its message');
      const child = CHILDREN[kind][field];
      if (child) {
        const result = await walk(reader, bodyStart, bodyEnd, child, found, depth + 1);
        if (child === 'entry' && result.key === 'location' && result.value !== undefined) locations.push(result.value);
      } else if (length.value <= MAX_STRING) {
        if (kind === 'tensor' && field === 8) strings.name = (await reader.bytes(bodyStart, length.value)).toString('utf8');
        if (kind === 'entry' && field === 1) strings.key = (await reader.bytes(bodyStart, length.value)).toString('utf8');
        if (kind === 'entry' && field === 2) strings.value = (await reader.bytes(bodyStart, length.value)).toString('utf8');
      }
      position = bodyEnd;
    } else {
      throw new MalformedOnnx(`unsupported wire type ${wireType}`);
    }
  }
  if (position !== end) throw new MalformedOnnx('field runs past its message');
  for (const location of locations) found.push({ tensor: strings.name ?? '(unnamed)', location });
  return strings;
}

/** Throws a plain Error with a short reason when the file is not a readable ONNX protobuf. */
export async function listExternalData(onnxFile: string): Promise<ExternalDataReference[]> {
  const handle = await fsp.open(onnxFile, 'r');
  try {
    const { size } = await handle.stat();
    const found: ExternalDataReference[] = [];
    await walk(new RandomAccessReader(handle, size), 0, size, 'model', found, 0);
    return found;
  } catch (error) {
    if (error instanceof MalformedOnnx) throw new Error(`not a valid ONNX file (${error.message})`, { cause: error });
    throw error;
  } finally {
    await handle.close();
  }
}
