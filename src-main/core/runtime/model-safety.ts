/**
 * Checks an ONNX file before ONNX Runtime sees it. Two things in a model can reach outside it: external-data
 * entries name files that ORT reads relative to the model (a `location` of `../../.ssh/id_rsa` or an absolute
 * path would read anything), and nodes in a custom operator domain would need a native library loaded into
 * the process. Easel allows external data only inside the model's own folder and registers no custom ops.
 *
 * The scan walks the protobuf structure reading only field headers and small messages; tensor payloads are
 * skipped by seeking, so a 2 GB single-file UNet costs a few thousand small reads, not 2 GB of memory.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../errors';

/** Operator domains ONNX Runtime implements itself; anything else needs a custom-op library. */
const BUILT_IN_DOMAINS = new Set([
  '',
  'ai.onnx',
  'ai.onnx.ml',
  'ai.onnx.training',
  'ai.onnx.preview.training',
  'com.microsoft',
  'com.microsoft.nchwc',
  'com.microsoft.experimental',
  'com.microsoft.dml',
  'com.ms.internal.nhwc',
]);

export interface ExternalDataReference {
  /** The `location` entry as written in the model. */
  location: string;
  offset: number;
  /** Undefined when the entry gives no length (the tensor runs to the end of the file). */
  length: number | undefined;
  tensor: string;
}

export interface ModelFileReport {
  externalData: ExternalDataReference[];
  /** Operator domains used by nodes (not counting functions the model defines itself). */
  nodeDomains: string[];
  /** Domains of functions the model defines; nodes in these domains run without any library. */
  functionDomains: string[];
}

/** Reads the parts of an ONNX file that matter for safety. Throws model_invalid if it is not ONNX. */
export function inspectModelFile(modelPath: string): ModelFileReport {
  let fd: number;
  try {
    fd = openSync(modelPath, 'r');
  } catch (error) {
    throw new EaselError('model_invalid', `The model file ${modelPath} cannot be opened.`, {
      path: modelPath,
      reason: (error as Error).message,
    });
  }
  try {
    const reader = new ProtobufFileReader(fd, fstatSync(fd).size);
    const report: ModelFileReport = { externalData: [], nodeDomains: [], functionDomains: [] };
    const domains = new Set<string>();
    const functionDomains = new Set<string>();
    if (!scanModel(reader, reader.size, { report, domains, functionDomains })) throw new Error('it has no graph');
    report.nodeDomains = [...domains];
    report.functionDomains = [...functionDomains];
    return report;
  } catch (error) {
    if (error instanceof EaselError) throw error;
    throw new EaselError('model_invalid', `${modelPath} is not a readable ONNX model (${(error as Error).message}).`, {
      path: modelPath,
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses a model that would read files outside its folder or needs a custom-op library, and a model whose
 * external weights are missing or shorter than it claims. Returns what it found.
 */
export function assertModelSafe(modelPath: string): ModelFileReport {
  const report = inspectModelFile(modelPath);
  const modelDir = realpathSync(path.dirname(path.resolve(modelPath)));

  for (const reference of report.externalData) {
    const { location } = reference;
    const segments = location.split(/[\\/]/);
    if (
      location === '' ||
      path.posix.isAbsolute(location) ||
      path.win32.isAbsolute(location) ||
      segments.includes('..')
    ) {
      throw new EaselError(
        'model_unsafe',
        `This model refers to weights outside its folder ("${location}"), which Easel never loads. Re-download the model from a trusted source.`,
        { path: modelPath, location, tensor: reference.tensor },
      );
    }
    const target = path.resolve(modelDir, location);
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      throw new EaselError(
        'model_invalid',
        `The model's weights file "${location}" is missing next to ${path.basename(modelPath)}. The download may be incomplete.`,
        { path: modelPath, location },
      );
    }
    if (!real.startsWith(modelDir + path.sep)) {
      throw new EaselError(
        'model_unsafe',
        `This model's weights file "${location}" links to a place outside the model folder, which Easel never loads.`,
        { path: modelPath, location, resolved: real },
      );
    }
    const size = statSync(real).size;
    const end = reference.offset + (reference.length ?? 0);
    if (end > size) {
      throw new EaselError(
        'model_invalid',
        `The model's weights file "${location}" is shorter than the model expects (${size} of ${end} bytes). The download may be incomplete.`,
        { path: modelPath, location, size, expected: end },
      );
    }
  }

  const custom = report.nodeDomains.filter((domain) => !BUILT_IN_DOMAINS.has(domain) && !report.functionDomains.includes(domain));
  if (custom.length > 0) {
    throw new EaselError(
      'model_unsafe',
      `This model needs custom operators (${custom.join(', ')}) from a native library, which Easel never loads. Use a standard ONNX export of the model.`,
      { path: modelPath, domains: custom },
    );
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// A positional protobuf reader over a file

const WINDOW = 64 * 1024;

class ProtobufFileReader {
  private buffer = Buffer.alloc(WINDOW);
  private bufferStart = 0;
  private bufferEnd = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  byte(): number {
    if (this.pos >= this.size) throw new Error('unexpected end of file');
    if (this.pos < this.bufferStart || this.pos >= this.bufferEnd) this.fill(this.pos, WINDOW);
    const value = this.buffer[this.pos - this.bufferStart]!;
    this.pos += 1;
    return value;
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return result;
      multiplier *= 128;
    }
    throw new Error('malformed varint');
  }

  bytes(length: number): Buffer {
    if (this.pos + length > this.size) throw new Error('field runs past the end of the file');
    if (length > WINDOW) {
      const out = Buffer.alloc(length);
      readSync(this.fd, out, 0, length, this.pos);
      this.pos += length;
      return out;
    }
    if (this.pos < this.bufferStart || this.pos + length > this.bufferEnd) this.fill(this.pos, WINDOW);
    const out = Buffer.from(this.buffer.subarray(this.pos - this.bufferStart, this.pos - this.bufferStart + length));
    this.pos += length;
    return out;
  }

  string(length: number): string {
    return this.bytes(length).toString('utf8');
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.seek(this.pos + 8);
        return;
      case 2: {
        const length = this.varint();
        this.seek(this.pos + length);
        return;
      }
      case 5:
        this.seek(this.pos + 4);
        return;
      default:
        throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
  }

  seek(position: number): void {
    if (position > this.size) throw new Error('field runs past the end of the file');
    this.pos = position;
  }

  private fill(position: number, length: number): void {
    const count = Math.min(length, this.size - position);
    const read = readSync(this.fd, this.buffer, 0, count, position);
    this.bufferStart = position;
    this.bufferEnd = position + read;
  }
}

interface ScanState {
  report: ModelFileReport;
  domains: Set<string>;
  functionDomains: Set<string>;
}

/** Calls `onField` for each field of the message that ends at `end`; it must consume or skip the field. */
function fields(reader: ProtobufFileReader, end: number, onField: (field: number, wireType: number) => boolean): void {
  while (reader.pos < end) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (!onField(field, wireType)) reader.skip(wireType);
  }
  if (reader.pos !== end) throw new Error('message length mismatch');
}

function embedded(reader: ProtobufFileReader, wireType: number, scan: (end: number) => void): boolean {
  if (wireType !== 2) return false;
  const length = reader.varint();
  const end = reader.pos + length;
  if (end > reader.size) throw new Error('field runs past the end of the file');
  scan(end);
  return true;
}

/** Returns whether the model has a graph, the one field every ONNX model must have. */
function scanModel(reader: ProtobufFileReader, end: number, state: ScanState): boolean {
  let hasGraph = false;
  fields(reader, end, (field, wireType) => {
    if (field === 7) {
      hasGraph = embedded(reader, wireType, (e) => scanGraph(reader, e, state));
      return hasGraph;
    }
    if (field === 25) return embedded(reader, wireType, (e) => scanFunction(reader, e, state));
    // TrainingInfoProto: initialization (1) and algorithm (2) are graphs.
    if (field === 20) {
      return embedded(reader, wireType, (e) =>
        fields(reader, e, (f, w) => (f === 1 || f === 2 ? embedded(reader, w, (g) => scanGraph(reader, g, state)) : false)),
      );
    }
    return false;
  });
  return hasGraph;
}

function scanGraph(reader: ProtobufFileReader, end: number, state: ScanState): void {
  fields(reader, end, (field, wireType) => {
    if (field === 1) return embedded(reader, wireType, (e) => scanNode(reader, e, state));
    if (field === 5) return embedded(reader, wireType, (e) => scanTensor(reader, e, state));
    if (field === 15) return embedded(reader, wireType, (e) => scanSparseTensor(reader, e, state));
    return false;
  });
}

function scanFunction(reader: ProtobufFileReader, end: number, state: ScanState): void {
  fields(reader, end, (field, wireType) => {
    if (field === 7) return embedded(reader, wireType, (e) => scanNode(reader, e, state));
    if (field === 10 && wireType === 2) {
      state.functionDomains.add(reader.string(reader.varint()));
      return true;
    }
    return false;
  });
}

function scanNode(reader: ProtobufFileReader, end: number, state: ScanState): void {
  let domain = '';
  fields(reader, end, (field, wireType) => {
    if (field === 5) return embedded(reader, wireType, (e) => scanAttribute(reader, e, state));
    if (field === 7 && wireType === 2) {
      domain = reader.string(reader.varint());
      return true;
    }
    return false;
  });
  state.domains.add(domain);
}

function scanAttribute(reader: ProtobufFileReader, end: number, state: ScanState): void {
  fields(reader, end, (field, wireType) => {
    if (field === 5 || field === 10) return embedded(reader, wireType, (e) => scanTensor(reader, e, state));
    if (field === 6 || field === 11) return embedded(reader, wireType, (e) => scanGraph(reader, e, state));
    if (field === 22 || field === 23) return embedded(reader, wireType, (e) => scanSparseTensor(reader, e, state));
    return false;
  });
}

function scanSparseTensor(reader: ProtobufFileReader, end: number, state: ScanState): void {
  fields(reader, end, (field, wireType) =>
    field === 1 || field === 2 ? embedded(reader, wireType, (e) => scanTensor(reader, e, state)) : false,
  );
}

function scanTensor(reader: ProtobufFileReader, end: number, state: ScanState): void {
  let name = '';
  const entries = new Map<string, string>();
  fields(reader, end, (field, wireType) => {
    if (field === 8 && wireType === 2) {
      name = reader.string(reader.varint());
      return true;
    }
    if (field === 13) {
      return embedded(reader, wireType, (e) => {
        let key = '';
        let value = '';
        fields(reader, e, (f, w) => {
          if (w !== 2 || (f !== 1 && f !== 2)) return false;
          const text = reader.string(reader.varint());
          if (f === 1) key = text;
          else value = text;
          return true;
        });
        entries.set(key, value);
      });
    }
    return false;
  });
  const location = entries.get('location');
  if (location === undefined) return;
  const offset = Number(entries.get('offset') ?? '0');
  const lengthText = entries.get('length');
  const length = lengthText === undefined ? undefined : Number(lengthText);
  if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
    throw new Error(`tensor ${name} has an invalid external data offset or length`);
  }
  state.report.externalData.push({ location, offset, length, tensor: name });
}
