/**
 * One ONNX model running on one execution provider. The rest of Easel speaks float32 and plain integer
 * arrays; this wrapper adapts them to whatever the model declares (float16 weights, int32 or int64 ids and
 * timesteps, a scalar or [1] timestep), so the pipeline is the same for every export of a model.
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ProviderName } from '../../../src-preload/api';
import { EaselError } from '../errors';
import { float16ToFloat32, float32ToFloat16 } from './float16';
import { checkOnnxFile } from '../models/model-folder/onnx-file';
import { OPTIMIZED_WEIGHTS_FILE, type OptimizedModelEntry, optimizedModelEntry } from './optimized-models';
import { providerFailureInWords, readableRuntimeLine } from './provider-failure';
import { providerLabels, type SessionTuning, sessionOptions } from './providers';

/**
 * A tensor on the JavaScript side: floats are float32 here, whatever the model computes in, except that a
 * Uint16Array holds float16 bit patterns, fed as they are to a float16 input (a caller that converts once
 * into a buffer of its own, as the UNet's sample) and given back for float16 outputs when asked.
 */
export interface HostTensor {
  data: Float32Array | Int32Array | BigInt64Array | Uint16Array;
  dims: number[];
  /**
   * The caller promises never to change this tensor's data once fed: the session then converts it (to
   * float16, to the declared integer width) once and reuses that for every later run it is fed to.
   * For the inputs that stay the same across denoising steps (text conditioning, time ids).
   */
  constant?: boolean;
}

export interface TensorInfo {
  name: string;
  /** ONNX Runtime's element type name: 'float32', 'float16', 'int32', 'int64', ... */
  dtype: string;
  /** Fixed sizes, or names of dynamic axes. */
  dims: Array<number | string>;
}

export interface OnnxSessionOptions extends SessionTuning {
  /**
   * Where optimised graphs are kept between runs (see optimized-models.ts); without it every start
   * optimises the graph again.
   */
  optimizedModelDir?: string;
}

/** Providers whose optimised graph ONNX Runtime can write out (others compile parts of it into kernels). */
const SAVES_OPTIMIZED_GRAPH: ReadonlySet<ProviderName> = new Set(['cpu', 'cuda']);

// ONNX Runtime's own log (`[E:onnxruntime:…]` lines on stderr) must not reach a terminal or the app's log: every
// failure it reports also comes back as an error, worded for people, with the runtime's text in its detail.
// Errors are its severity 3, so only fatal ones (4) are let through; set before the first session starts it.
ort.env.logLevel = 'fatal';

export class OnnxSession {
  private released = false;
  private readonly running = new Set<Promise<unknown>>();
  private lastUsedAt = Date.now();
  /** Converted forms of the feeds marked constant, dropped with the feed objects themselves. */
  private readonly constantTensors = new WeakMap<HostTensor, { input: string; tensor: ort.Tensor }>();

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly modelPath: string,
    readonly provider: ProviderName,
    readonly inputs: readonly TensorInfo[],
    readonly outputs: readonly TensorInfo[],
    /** 'optimized' when the session opened the graph ONNX Runtime optimised and kept on an earlier start. */
    readonly startedFrom: 'model' | 'optimized',
  ) {}

  /**
   * Checks the model file (see models/model-folder/onnx-file.ts), then opens it by path so ONNX Runtime finds external
   * weights next to it. Fails with provider_failed when the provider cannot start or cannot load this model.
   */
  static async create(modelPath: string, provider: ProviderName, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
    return OnnxSession.open(modelPath, undefined, provider, options);
  }

  /**
   * A session of `modelPath` from an in-memory copy of it whose changed weights are inline (LoRAs merged);
   * every other weight is read from the files in the model's folder, which is named to ONNX Runtime as the
   * folder of external initializers.
   */
  static async createFromBytes(
    modelPath: string,
    bytes: Uint8Array,
    provider: ProviderName,
    options: OnnxSessionOptions = {},
  ): Promise<OnnxSession> {
    return OnnxSession.open(modelPath, bytes, provider, options);
  }

  private static async open(
    modelPath: string,
    bytes: Uint8Array | undefined,
    provider: ProviderName,
    options: OnnxSessionOptions,
  ): Promise<OnnxSession> {
    const absolute = path.resolve(modelPath);
    checkOnnxFile(absolute);
    const base = sessionOptions(provider, options);
    // A graph with merged weights (LoRAs) is not the file on disk: its optimised form is not kept.
    const cacheDir = bytes === undefined && SAVES_OPTIMIZED_GRAPH.has(provider) ? options.optimizedModelDir : undefined;
    const entryFor = () => (cacheDir === undefined ? null : optimizedModelEntry(cacheDir, absolute, provider).catch(() => null));
    let entry = await entryFor();
    const cached = await openOptimized(entry, base);
    if (cached !== null) {
      return new OnnxSession(cached, absolute, provider, describe(cached.inputMetadata), describe(cached.outputMetadata), 'optimized');
    }
    // A kept graph that did not open was discarded: this start makes a new one.
    if (entry?.ready != null) entry = await entryFor();
    let session: ort.InferenceSession;
    try {
      if (bytes === undefined) {
        session = await openAndKeepOptimized(absolute, base, entry);
      } else {
        const ortOptions = { ...base, extra: { session: { model_external_initializers_file_folder_path: path.dirname(absolute) } } };
        session = await ort.InferenceSession.create(bytes, ortOptions);
      }
    } catch (error) {
      const reason = rawMessage(error);
      const readable = readableRuntimeLine(reason);
      const message =
        providerFailureInWords(provider, reason) ??
        `${providerLabels[provider]} could not load ${describeModel(absolute)}${readable === null ? '' : `: ${readable}`}`;
      throw new EaselError('provider_failed', message, { provider, modelPath: absolute, reason });
    }
    return new OnnxSession(session, absolute, provider, describe(session.inputMetadata), describe(session.outputMetadata), 'model');
  }

  /** Milliseconds since the epoch when this session last started a run (or was created). */
  get lastUsed(): number {
    return this.lastUsedAt;
  }

  get busy(): boolean {
    return this.running.size > 0;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /**
   * Runs the model. Every model input must be fed; float data is converted to float16 where the model
   * wants it, integers to the declared width, and a [1] tensor to a scalar where the model declares rank 0.
   * Outputs come back as float32 (or the model's integer type); with `float16Bits`, float16 outputs come
   * back as their bit patterns for a caller that converts them on its own way.
   */
  async run(
    feeds: Record<string, HostTensor>,
    outputNames?: string[],
    options: { float16Bits?: boolean } = {},
  ): Promise<Record<string, HostTensor>> {
    if (this.released) throw this.failure('the session was already released');
    this.lastUsedAt = Date.now();
    const unknown = Object.keys(feeds).filter((name) => !this.inputs.some((input) => input.name === name));
    if (unknown.length > 0) throw this.failure(`the model has no input named ${unknown.join(', ')}`);
    const wanted = outputNames ?? this.outputs.map((output) => output.name);
    const missingOutputs = wanted.filter((name) => !this.outputs.some((output) => output.name === name));
    if (missingOutputs.length > 0) throw this.failure(`the model has no output named ${missingOutputs.join(', ')}`);

    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const input of this.inputs) {
      const feed = feeds[input.name];
      if (!feed) throw this.failure(`input ${input.name} was not given`);
      ortFeeds[input.name] = this.ortTensor(feed, input);
    }

    const pending = this.session.run(ortFeeds, wanted);
    this.running.add(pending);
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await pending;
    } catch (error) {
      throw this.failure(rawMessage(error));
    } finally {
      this.running.delete(pending);
    }

    const out: Record<string, HostTensor> = {};
    for (const name of wanted) {
      const value = results[name];
      if (!value) throw this.failure(`output ${name} was not produced`);
      out[name] = fromOrtTensor(value as ort.Tensor, name, options.float16Bits === true, (message) => this.failure(message));
    }
    return out;
  }

  private ortTensor(feed: HostTensor, input: TensorInfo): ort.Tensor {
    if (feed.constant !== true) return toOrtTensor(feed, input, (message) => this.failure(message));
    const kept = this.constantTensors.get(feed);
    if (kept !== undefined && kept.input === input.name) return kept.tensor;
    const tensor = toOrtTensor(feed, input, (message) => this.failure(message));
    this.constantTensors.set(feed, { input: input.name, tensor });
    return tensor;
  }

  /** Frees the native session once any run in progress has finished. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.allSettled([...this.running]);
    await this.session.release();
  }

  /** A failed run, in words where the runtime's text is C++ internals; `reason` keeps that text. */
  private failure(reason: string): EaselError {
    const readable = readableRuntimeLine(reason);
    const failed = `${describeModel(this.modelPath)} failed on ${providerLabels[this.provider]}`;
    return new EaselError(
      'inference_failed',
      providerFailureInWords(this.provider, reason) ?? (readable === null ? failed : `${failed}: ${readable}`),
      { provider: this.provider, modelPath: this.modelPath, reason },
    );
  }
}

/** The kept optimised graph, opened with optimisation off; null when there is none or it does not open. */
async function openOptimized(
  entry: OptimizedModelEntry | null,
  base: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession | null> {
  if (entry?.ready == null) return null;
  try {
    return await ort.InferenceSession.create(entry.ready, { ...base, graphOptimizationLevel: 'disabled' });
  } catch {
    await entry.discard().catch(() => undefined);
    return null;
  }
}

/**
 * Opens the model, asking ONNX Runtime to write its optimised graph to the entry's staging folder. Keeping
 * it is a saving, never a condition: if writing it fails, the model is opened again without.
 */
async function openAndKeepOptimized(
  modelPath: string,
  base: ort.InferenceSession.SessionOptions,
  entry: OptimizedModelEntry | null,
): Promise<ort.InferenceSession> {
  if (entry?.staging == null) return ort.InferenceSession.create(modelPath, base);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      ...base,
      optimizedModelFilePath: entry.staging,
      extra: {
        session: {
          optimized_model_external_initializers_file_name: OPTIMIZED_WEIGHTS_FILE,
          optimized_model_external_initializers_min_size_in_bytes: '1024',
        },
      },
    });
  } catch {
    await entry.discard().catch(() => undefined);
    return ort.InferenceSession.create(modelPath, base);
  }
  await entry.commit().catch(() => entry.discard().catch(() => undefined));
  return session;
}

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, dtype: value.type, dims: [...value.shape] }
      : { name: value.name, dtype: 'non-tensor', dims: [] },
  );
}

/** "the unet of stable-diffusion-v1-5" from .../stable-diffusion-v1-5/unet/model.onnx. */
function describeModel(modelPath: string): string {
  const component = path.basename(path.dirname(modelPath));
  const model = path.basename(path.dirname(path.dirname(modelPath)));
  return `the ${component} of ${model}`;
}

function rawMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toOrtTensor(feed: HostTensor, input: TensorInfo, fail: (message: string) => Error): ort.Tensor {
  const count = feed.dims.reduce((a, b) => a * b, 1);
  if (count !== feed.data.length) {
    throw fail(`input ${input.name} has ${feed.data.length} values but its shape [${feed.dims.join(', ')}] needs ${count}`);
  }
  const dims = adaptRank(feed.dims, input, fail);
  switch (input.dtype) {
    case 'float32':
      return new ort.Tensor('float32', asFloat32(feed.data), dims);
    case 'float16':
      return float16Tensor(feed.data instanceof Uint16Array ? feed.data : float32ToFloat16(asFloat32(feed.data)), dims);
    case 'int64':
      return new ort.Tensor('int64', asInt64(feed.data, input.name, fail), dims);
    case 'int32':
      return new ort.Tensor('int32', asInt32(feed.data, input.name, fail), dims);
    default:
      throw fail(`input ${input.name} has element type ${input.dtype}, which Easel does not feed`);
  }
}

/**
 * A float16 tensor that reaches ONNX Runtime as its raw 16-bit words. Where the JavaScript engine has a
 * Float16Array (Node 24, and so Electron's main process), onnxruntime-common keeps float16 data as one,
 * and onnxruntime-node's native binding then reads the input as empty ("not enough space: expected N,
 * got 0"). An own `data` property holding the Uint16Array the tensor was built from, which the binding
 * reads on every Node, shadows that; the bits are the same either way.
 */
export function float16Tensor(bits: Uint16Array, dims: readonly number[]): ort.Tensor {
  const tensor = new ort.Tensor('float16', bits, dims);
  Object.defineProperty(tensor, 'data', { value: bits, enumerable: true });
  return tensor;
}

/**
 * The 16-bit words of a float16 tensor's data: onnxruntime-common hands out a Uint16Array, or a
 * Float16Array where the JavaScript engine has one (whose elements are numbers, not bits).
 */
export function float16Bits(data: ort.Tensor['data']): Uint16Array {
  const view = data as unknown as { buffer: ArrayBufferLike; byteOffset: number; length: number };
  return new Uint16Array(view.buffer, view.byteOffset, view.length);
}

/** A one-element tensor fits a scalar input and vice versa (optimum exports a scalar timestep, others [1]). */
function adaptRank(dims: number[], input: TensorInfo, fail: (message: string) => Error): readonly number[] {
  const rank = input.dims.length;
  const count = dims.reduce((a, b) => a * b, 1);
  if (rank === dims.length) return dims;
  if (count === 1 && rank === 0) return [];
  if (count === 1 && dims.length === 0 && rank === 1) return [1];
  throw fail(`input ${input.name} needs rank ${rank} but was given shape [${dims.join(', ')}]`);
}

function asFloat32(data: HostTensor['data']): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return float16ToFloat32(data);
  if (data instanceof BigInt64Array) return Float32Array.from(data, (value) => Number(value));
  return Float32Array.from(data);
}

function asInt64(data: HostTensor['data'], name: string, fail: (message: string) => Error): BigInt64Array {
  if (data instanceof BigInt64Array) return data;
  if (data instanceof Uint16Array) throw fail(`input ${name} holds float16 values where the model wants integers`);
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!;
    // Timesteps arrive as floats (schedulers compute them); the legacy exports want int64.
    if (!Number.isFinite(value)) throw fail(`input ${name} holds a non-finite value where the model wants integers`);
    out[i] = BigInt(Math.round(value));
  }
  return out;
}

function asInt32(data: HostTensor['data'], name: string, fail: (message: string) => Error): Int32Array {
  if (data instanceof Int32Array) return data;
  if (data instanceof Uint16Array) throw fail(`input ${name} holds float16 values where the model wants integers`);
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = Number(data[i]!);
    if (!Number.isFinite(value) || Math.abs(value) > 2 ** 31 - 1) {
      throw fail(`input ${name} holds ${value}, which does not fit the model's int32`);
    }
    out[i] = Math.round(value);
  }
  return out;
}

function fromOrtTensor(tensor: ort.Tensor, name: string, keepFloat16: boolean, fail: (message: string) => Error): HostTensor {
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return { data: tensor.data as Float32Array, dims };
    case 'float16':
      return { data: keepFloat16 ? float16Bits(tensor.data) : float16ToFloat32(float16Bits(tensor.data)), dims };
    case 'int64':
      return { data: tensor.data as BigInt64Array, dims };
    case 'int32':
      return { data: tensor.data as Int32Array, dims };
    default:
      throw fail(`output ${name} has element type ${tensor.type}, which Easel does not read`);
  }
}
