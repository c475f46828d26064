/**
 * Reads what Easel needs from an ONNX file without loading it: the main graph's inputs and outputs (name,
 * element type, shape with symbolic dimensions), every external-data reference, and the operator domains
 * its nodes use. It walks the protobuf structure reading only field headers and small messages; tensor
 * payloads are skipped by seeking, so a 2 GB single-file UNet costs a few thousand small reads, not 2 GB of
 * memory.
 *
 * Two things in a model can reach outside it, and `checkOnnxFile` refuses both: external-data entries name
 * files that ONNX Runtime reads relative to the model (a `location` of `../../.ssh/id_rsa` or an absolute path
 * would read anything), and nodes in a custom operator domain would need a native library loaded into the
 * process. Easel allows external data only inside the model's own folder and registers no custom ops.
 *
 * Field numbers from onnx.proto: ModelProto.graph=7, .functions=25, .training_info=20; GraphProto.node=1,
 * .initializer=5, .input=11, .output=12, .sparse_initializer=15; NodeProto.attribute=5, .domain=7;
 * AttributeProto.t=5, .g=6, .tensors=10, .graphs=11, .sparse_tensor=22, .sparse_tensors=23;
 * TensorProto.name=8, .external_data=13; ValueInfoProto.name=1, .type=2; TypeProto.tensor_type=1;
 * TypeProto.Tensor.elem_type=1, .shape=2; TensorShapeProto.dim=1; Dimension.dim_value=1, .dim_param=2.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { EaselError } from '../../errors';

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

/** ONNX element types by the names ONNX Runtime uses for them. */
export type OnnxElementType =
  | 'float32'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'string'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint32'
  | 'uint64'
  | 'bfloat16'
  | 'unknown';

const ELEMENT_TYPES: Record<number, OnnxElementType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** One input or output of a graph, as declared in the file. */
export interface OnnxValueInfo {
  name: string;
  elementType: OnnxElementType;
  /** Fixed sizes, names of symbolic axes, null for an axis the file leaves open; null when the rank is unknown. */
  shape: Array<number | string | null> | null;
}

export interface OnnxFileInfo {
  /** The main graph's inputs a caller feeds (initializers listed as inputs by old exports are left out). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  externalData: ExternalDataReference[];
  /** Operator domains used by nodes (not counting functions the model defines itself). */
  nodeDomains: string[];
  /** Domains of functions the model defines; nodes in these domains run without any library. */
  functionDomains: string[];
}

/** Reads an ONNX file's header (see above). Throws model_invalid if it is not ONNX. */
export function inspectOnnxFile(modelPath: string): OnnxFileInfo {
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
    const state: ScanState = {
      info: { inputs: [], outputs: [], externalData: [], nodeDomains: [], functionDomains: [] },
      domains: new Set<string>(),
      functionDomains: new Set<string>(),
      initializers: new Set<string>(),
    };
    if (!scanModel(reader, reader.size, state)) throw new Error('it has no graph');
    const { info } = state;
    info.inputs = info.inputs.filter((input) => !state.initializers.has(input.name));
    info.nodeDomains = [...state.domains];
    info.functionDomains = [...state.functionDomains];
    return info;
  } catch (error) {
    if (error instanceof EaselError) throw error;
    throw new EaselError('model_invalid', `${modelPath} is not a valid ONNX file (${(error as Error).message}).`, {
      path: modelPath,
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses a model that would read files outside its folder or needs a custom-op library, and a model whose
 * external weights are missing or shorter than it claims. External weights must lie in the ONNX file's own
 * folder (or below it); messages name files relative to `root` (the model folder), the file's folder by
 * default. Returns what it found.
 */
export function checkOnnxFile(modelPath: string, root = path.dirname(path.resolve(modelPath))): OnnxFileInfo {
  const report = inspectOnnxFile(modelPath);
  const modelDir = realpathSync(path.dirname(path.resolve(modelPath)));
  const name = (file: string) => path.relative(root, file).split(path.sep).join('/');
  const model = name(path.resolve(modelPath));

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
        `${model} reads the weights of ${reference.tensor} from "${location}", outside the model folder; Easel never loads it. Re-download the model from a trusted source.`,
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
        `${model} needs ${name(path.resolve(path.dirname(path.resolve(modelPath)), location))}, which is missing. The download may be incomplete.`,
        { path: modelPath, location },
      );
    }
    if (!real.startsWith(modelDir + path.sep)) {
      throw new EaselError(
        'model_unsafe',
        `${model} reads its weights from "${location}", a link to a place outside the model folder; Easel never loads it.`,
        { path: modelPath, location, resolved: real },
      );
    }
    const size = statSync(real).size;
    const end = reference.offset + (reference.length ?? 0);
    if (end > size) {
      throw new EaselError(
        'model_invalid',
        `${model} needs ${end} bytes of weights from "${location}", which is shorter (${size} bytes). The download may be incomplete.`,
        { path: modelPath, location, size, expected: end },
      );
    }
  }

  const custom = report.nodeDomains.filter((domain) => !BUILT_IN_DOMAINS.has(domain) && !report.functionDomains.includes(domain));
  if (custom.length > 0) {
    throw new EaselError(
      'model_unsafe',
      `${model} needs custom operators (${custom.join(', ')}) from a native library, which Easel never loads. Use a standard ONNX export of the model.`,
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
  info: OnnxFileInfo;
  domains: Set<string>;
  functionDomains: Set<string>;
  /** Names of the main graph's initializers. */
  initializers: Set<string>;
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
      hasGraph = embedded(reader, wireType, (e) => scanGraph(reader, e, state, true));
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

/** `main`: the model's own graph, whose inputs and outputs are the model's; not a subgraph of an If or Loop. */
function scanGraph(reader: ProtobufFileReader, end: number, state: ScanState, main = false): void {
  fields(reader, end, (field, wireType) => {
    if (field === 1) return embedded(reader, wireType, (e) => scanNode(reader, e, state));
    if (field === 5) {
      return embedded(reader, wireType, (e) => {
        const name = scanTensor(reader, e, state);
        if (main) state.initializers.add(name);
      });
    }
    if (main && (field === 11 || field === 12)) {
      return embedded(reader, wireType, (e) => (field === 11 ? state.info.inputs : state.info.outputs).push(scanValueInfo(reader, e)));
    }
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

/** Returns the tensor's name. */
function scanTensor(reader: ProtobufFileReader, end: number, state: ScanState): string {
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
  if (location === undefined) return name;
  const offset = Number(entries.get('offset') ?? '0');
  const lengthText = entries.get('length');
  const length = lengthText === undefined ? undefined : Number(lengthText);
  if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
    throw new Error(`tensor ${name} has an invalid external data offset or length`);
  }
  state.info.externalData.push({ location, offset, length, tensor: name });
  return name;
}

function scanValueInfo(reader: ProtobufFileReader, end: number): OnnxValueInfo {
  const value: OnnxValueInfo = { name: '', elementType: 'unknown', shape: null };
  fields(reader, end, (field, wireType) => {
    if (field === 1 && wireType === 2) {
      value.name = reader.string(reader.varint());
      return true;
    }
    if (field !== 2) return false;
    // TypeProto: only tensor_type (1) describes a tensor; sequences and maps stay 'unknown'.
    return embedded(reader, wireType, (typeEnd) =>
      fields(reader, typeEnd, (f, w) =>
        f === 1
          ? embedded(reader, w, (tensorEnd) =>
              fields(reader, tensorEnd, (tf, tw) => {
                if (tf === 1 && tw === 0) {
                  value.elementType = ELEMENT_TYPES[reader.varint()] ?? 'unknown';
                  return true;
                }
                if (tf === 2) return embedded(reader, tw, (shapeEnd) => (value.shape = scanShape(reader, shapeEnd)));
                return false;
              }),
            )
          : false,
      ),
    );
  });
  return value;
}

function scanShape(reader: ProtobufFileReader, end: number): Array<number | string | null> {
  const shape: Array<number | string | null> = [];
  fields(reader, end, (field, wireType) => {
    if (field !== 1) return false;
    return embedded(reader, wireType, (dimEnd) => {
      let dim: number | string | null = null;
      fields(reader, dimEnd, (f, w) => {
        if (f === 1 && w === 0) {
          dim = reader.varint();
          return true;
        }
        if (f === 2 && w === 2) {
          dim = reader.string(reader.varint());
          return true;
        }
        return false;
      });
      shape.push(dim);
    });
  });
  return shape;
}
