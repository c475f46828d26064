import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';
import { float16ToFloat32 } from '../runtime/float16';

/**
 * A reader for `.safetensors` files (LoRAs, embeddings, single-file checkpoints) that trusts nothing in the
 * header until it has been checked against the file: the header length against the file size, every tensor's
 * offsets inside the data section and matching its dtype and shape, no two tensors overlapping. Nothing is
 * allocated from a size the header claims before that claim is checked, and tensors are read one at a time,
 * so a multi-GB checkpoint never sits in memory whole.
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offsets of the tensor's data in the file. */
  start: number;
  end: number;
}

/** Headers of real files are a few hundred KB at most; anything far larger is a lie or an attack. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export class SafetensorsFile {
  private constructor(
    readonly file: string,
    readonly size: number,
    /** Where the data section starts: 8 + the header's length. */
    readonly dataStart: number,
    /** The free-form `__metadata__` strings (kohya-ss writes `ss_*` keys here). */
    readonly metadata: Readonly<Record<string, string>>,
    readonly tensors: ReadonlyMap<string, SafetensorsTensor>,
    private readonly handle: fsp.FileHandle,
  ) {}

  /** Opens and checks a file; throws `model_invalid` for a damaged file and `model_unsafe` for a pickle. */
  static async open(file: string): Promise<SafetensorsFile> {
    const handle = await fsp.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw new EaselError('not_found', `${path.basename(file)} cannot be opened (${error.code ?? error.message}).`, { file });
    });
    try {
      const stat: Stats = await handle.stat();
      if (!stat.isFile()) throw invalid(file, 'it is not a file');
      const prefix = Buffer.alloc(Math.min(8, stat.size));
      await handle.read(prefix, 0, prefix.length, 0);
      const headerLength = checkSafetensorsStart(file, prefix, stat.size);
      const header = Buffer.alloc(headerLength);
      await handle.read(header, 0, header.length, 8);
      const dataStart = 8 + header.length;
      const { metadata, tensors } = parseHeader(file, header, stat.size - dataStart, dataStart);
      return new SafetensorsFile(file, stat.size, dataStart, metadata, tensors, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The tensor's bytes as stored (little-endian). */
  async readBytes(name: string): Promise<Buffer> {
    const tensor = this.tensor(name);
    const bytes = Buffer.alloc(tensor.end - tensor.start);
    const { bytesRead } = await this.handle.read(bytes, 0, bytes.length, tensor.start);
    if (bytesRead !== bytes.length) throw invalid(this.file, `${name} ends past the end of the file`);
    return bytes;
  }

  /** The tensor's values widened to float32 (F16, BF16, F32 and F64 tensors). */
  async readFloat32(name: string): Promise<Float32Array> {
    const tensor = this.tensor(name);
    return toFloat32(tensor.dtype, await this.readBytes(name), `${name} in ${path.basename(this.file)}`);
  }

  tensor(name: string): SafetensorsTensor {
    const tensor = this.tensors.get(name);
    if (tensor === undefined) throw invalid(this.file, `it has no tensor named ${name}`);
    return tensor;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Widens stored floats to float32; integer tensors are not weights and are refused. */
export function toFloat32(dtype: SafetensorsDtype, bytes: Buffer, what: string): Float32Array {
  const aligned = Buffer.from(bytes); // a fresh, aligned copy: typed-array views need aligned offsets
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
    case 'F16':
      return float16ToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2));
    case 'BF16': {
      const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
      const words = new Uint32Array(halves.length);
      for (let i = 0; i < halves.length; i++) words[i] = halves[i]! << 16;
      return new Float32Array(words.buffer);
    }
    case 'F64':
      return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, aligned.length / 8));
    default:
      throw new EaselError('model_invalid', `${what} holds ${dtype} values where floating-point weights were expected.`);
  }
}

function parseHeader(
  file: string,
  header: Buffer,
  dataSize: number,
  dataStart: number,
): { metadata: Record<string, string>; tensors: Map<string, SafetensorsTensor> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(header));
  } catch {
    throw invalid(file, 'its header is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(file, 'its header is not a JSON object');

  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(file, 'its __metadata__ is not an object');
      for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
        if (typeof text === 'string') metadata[key] = text;
      }
      continue;
    }
    tensors.set(name, parseTensor(file, name, value, dataSize, dataStart));
  }

  const byStart = [...tensors.values()].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < byStart.length; i++) {
    const previous = byStart[i - 1]!;
    const current = byStart[i]!;
    if (current.start < previous.end) throw invalid(file, `tensors ${previous.name} and ${current.name} overlap`);
  }
  return { metadata, tensors };
}

function parseTensor(file: string, name: string, value: unknown, dataSize: number, dataStart: number): SafetensorsTensor {
  if (typeof value !== 'object' || value === null) throw invalid(file, `its entry for ${name} is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw invalid(file, `${name} has an unknown dtype (${String(dtype)})`);
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) throw invalid(file, `${name} has an invalid shape`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw invalid(file, `${name} has invalid data offsets`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw invalid(file, `${name} lies outside the file's data`);
  // The header is whole but the data is not: the usual sign of a download that stopped early.
  if (end > dataSize) throw invalid(file, `it is cut short (${name} lies past its end), as a download that stopped early is; download it again`);
  const elements = shape.reduce((product: number, dim: number) => product * dim, 1);
  if (elements * DTYPE_BYTES[dtype as SafetensorsDtype] !== end - begin) {
    throw invalid(file, `${name}'s size does not match its shape [${shape.join(', ')}] and dtype ${dtype}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...shape] as number[], start: dataStart + begin, end: dataStart + end };
}

/**
 * Checks a file's first 8 bytes (fewer when it is that short) against its size: a pickle is refused, and so is a
 * header length the file cannot hold. Returns the header's length. Uploads run it as soon as the bytes arrive.
 */
export function checkSafetensorsStart(file: string, prefix: Buffer, size: number): number {
  refusePickle(file, prefix);
  if (size < 8 || prefix.length < 8) throw invalid(file, 'it is shorter than a safetensors header');
  const headerLength = prefix.readBigUInt64LE(0);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
    throw invalid(file, `its header claims ${headerLength} bytes, more than the file (${size} bytes) can hold`);
  }
  return Number(headerLength);
}

/** PyTorch's `.ckpt`/`.pt`/`.bin` are zip archives or raw pickles: unpickling them can run any code. */
function refusePickle(file: string, prefix: Buffer): void {
  const zip = prefix.length >= 4 && prefix.readUInt32LE(0) === 0x04034b50;
  const pickle = prefix.length >= 2 && prefix[0] === 0x80 && prefix[1]! >= 2 && prefix[1]! <= 5;
  if (zip || pickle) {
    throw new EaselError(
      'model_unsafe',
      `${path.basename(file)} is a PyTorch pickle, not a safetensors file: loading a pickle can run any code, so Easel never opens one. ` +
        'Download the .safetensors version of this file instead.',
      { file },
    );
  }
}

function invalid(file: string, reason: string): EaselError {
  return new EaselError('model_invalid', `${path.basename(file)} is not a valid safetensors file: ${reason}.`, { file });
}
