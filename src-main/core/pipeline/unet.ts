import { EaselError } from '../errors';
import type { Conditioning } from './conditioning';
import { float16ToFloat32, float32ToFloat16, hasNonFiniteFloat16 } from '../runtime/float16';
import { type GraphSession, type HostTensor, type TensorInfo, findInput, staticDim } from './graph';
import { guideFromFloat16, toFloat16 } from './float16-kernel';
import { combineGuidance, hasNonFinite } from './latents';

/** How this export's UNet wants its inputs, read from the graph rather than assumed. */
export interface UnetLayout {
  sample: TensorInfo;
  timestep: TensorInfo;
  timestepShape: 'scalar' | 'single' | 'batch';
  hiddenStates: TensorInfo;
  textEmbeds: TensorInfo | null;
  timeIds: TensorInfo | null;
  timestepCond: TensorInfo | null;
  /** The batch the graph is fixed to, or null when any batch runs. */
  fixedBatch: number | null;
  /** Channels of the latents themselves (4; an inpainting UNet's sample has 5 more). */
  latentChannels: number;
  /** Latent height/width the graph is fixed to (image size / 8), or null when free. */
  latentHeight: number | null;
  latentWidth: number | null;
  timestepCondDim: number;
  output: string;
}

/** An inpainting UNet's sample: 4 latent channels, the mask, and the masked image's 4 latent channels. */
const INPAINT_CHANNELS = 9;

export function readUnetLayout(session: GraphSession): UnetLayout {
  const required = (name: string, fallbackIndex: number): TensorInfo => {
    const input = findInput(session, name) ?? session.inputs[fallbackIndex];
    if (input === undefined) {
      throw new EaselError('model_invalid', `The model's UNet has no "${name}" input.`, {
        inputs: session.inputs.map((i) => i.name),
      });
    }
    return input;
  };
  const sample = required('sample', 0);
  const timestep = required('timestep', 1);
  const hiddenStates = required('encoder_hidden_states', 2);
  const timestepCond = findInput(session, 'timestep_cond') ?? null;
  const sampleChannels = staticDim(sample, 1);
  const timestepShape =
    timestep.dims.length === 0 ? 'scalar' : timestep.dims.length === 1 && timestep.dims[0] === 1 ? 'single' : 'batch';
  return {
    sample,
    timestep,
    timestepShape,
    hiddenStates,
    textEmbeds: findInput(session, 'text_embeds') ?? null,
    timeIds: findInput(session, 'time_ids') ?? null,
    timestepCond,
    fixedBatch: staticDim(sample, 0),
    latentChannels: sampleChannels === null || sampleChannels === INPAINT_CHANNELS ? 4 : sampleChannels,
    latentHeight: staticDim(sample, 2),
    latentWidth: staticDim(sample, 3),
    timestepCondDim: timestepCond === null ? 0 : (staticDim(timestepCond, 1) ?? 256),
    output: session.outputs[0]?.name ?? 'out_sample',
  };
}

/** What the UNet takes besides the latents and the text, the same at every step. */
export interface UnetExtras {
  timeIds: Float32Array | null;
  timestepCond: Float32Array | null;
  /** Channels appended to the latents of every row (an inpainting UNet's mask and masked-image latents). */
  channels?: { data: Float32Array; count: number } | null;
}

/**
 * Runs the UNet for one step, reusing the tensors that stay the same across steps (fed as constants, so the
 * session converts them for an fp16 UNet once, not at every step). With guidance the
 * negative and positive rows go in one batch of 2 (or two calls when the graph is fixed to batch 1, or when
 * memory is short). For a float16 UNet the latents are converted once per step into a buffer kept across
 * steps (the rows of a batch are the same latents: the others are byte copies), and its float16 output is
 * converted while the guidance is combined, so each value is read once.
 */
export class UnetRunner {
  private readonly conditionFeeds: Array<Record<string, HostTensor>>;
  /** The sample fed to every call: float32, or float16 bit patterns for a float16 UNet. */
  private readonly batchSample: Float32Array | Uint16Array;
  private readonly sampleDims: number[];
  /** Values per row of the sample: the latents, then any appended channels. */
  private readonly rowLength: number;
  /** The UNet's outputs of the last step, one per call, as they came (float16 ones as bit patterns). */
  private lastOutputs: Array<Float32Array | Uint16Array> = [];

  constructor(
    private readonly session: GraphSession,
    private readonly layout: UnetLayout,
    conditioning: Conditioning,
    extras: UnetExtras,
    latentLength: number,
    latentDims: number[],
    /** Run the negative and positive rows as two batch-1 calls, which needs about half the UNet's memory. */
    splitGuidance = false,
  ) {
    const split = (splitGuidance || layout.fixedBatch === 1) && conditioning.rows === 2;
    const batches = split ? [[0], [1]] : [conditioning.rows === 2 ? [0, 1] : [0]];
    this.conditionFeeds = batches.map((rows) => this.conditionFeed(conditioning, rows, extras));
    const appended = extras.channels ?? null;
    this.rowLength = latentLength + (appended === null ? 0 : appended.data.length);
    const rows = split ? 1 : conditioning.rows;
    const float16 = layout.sample.dtype === 'float16';
    this.batchSample = float16 ? new Uint16Array(this.rowLength * rows) : new Float32Array(this.rowLength * rows);
    if (appended !== null) {
      const channels = float16 ? float32ToFloat16(appended.data) : appended.data;
      for (let r = 0; r < rows; r++) this.batchSample.set(channels, r * this.rowLength + latentLength);
    }
    this.sampleDims = appended === null ? latentDims : [latentDims[0]! + appended.count, ...latentDims.slice(1)];
  }

  get calls(): number {
    return this.conditionFeeds.length;
  }

  /**
   * The noise prediction for `scaled` at timestep t: the UNet's own for an unguided run, or
   * uncond + guidance * (cond - uncond) from the negative and positive rows.
   */
  async predictNoise(scaled: Float32Array, t: number, guidance: number): Promise<Float32Array> {
    const sample = this.batchSample;
    const rows = sample.length / this.rowLength;
    if (sample instanceof Uint16Array) toFloat16(scaled, sample.subarray(0, scaled.length));
    else sample.set(scaled);
    for (let r = 1; r < rows; r++) sample.copyWithin(r * this.rowLength, 0, scaled.length);
    const outputs: Array<Float32Array | Uint16Array> = [];
    for (const feed of this.conditionFeeds) outputs.push(await this.call(feed, rows, t));
    this.lastOutputs = outputs;
    const n = scaled.length;
    const rowOf = (index: number) => {
      const output = outputs.length === 1 ? outputs[0]! : outputs[index]!;
      const offset = outputs.length === 1 ? index * n : 0;
      return output.subarray(offset, offset + n);
    };
    if (this.conditionFeeds.length * rows === 1) {
      const only = rowOf(0);
      return only instanceof Uint16Array ? float16ToFloat32(only) : only;
    }
    const uncond = rowOf(0);
    const cond = rowOf(1);
    const out = new Float32Array(n);
    if (uncond instanceof Uint16Array && cond instanceof Uint16Array) return guideFromFloat16(uncond, cond, guidance, out);
    if (uncond instanceof Float32Array && cond instanceof Float32Array) return combineGuidance(uncond, cond, guidance, out);
    throw new EaselError('model_invalid', "The model's UNet gave its rows in different float types.");
  }

  /** Whether the UNet's output of the last step held NaN or infinity in any row, before guidance. */
  lastOutputNonFinite(): boolean {
    return this.lastOutputs.some((output) => (output instanceof Uint16Array ? hasNonFiniteFloat16(output) : hasNonFinite(output)));
  }

  private async call(condition: Record<string, HostTensor>, rows: number, t: number): Promise<Float32Array | Uint16Array> {
    const feeds: Record<string, HostTensor> = {
      ...condition,
      [this.layout.sample.name]: { data: this.batchSample, dims: [rows, ...this.sampleDims] },
      [this.layout.timestep.name]: this.timestepTensor(t, rows),
    };
    const outputs = await this.session.run(feeds, [this.layout.output], { float16Bits: true });
    const data = outputs[this.layout.output]?.data;
    if (!(data instanceof Float32Array || data instanceof Uint16Array)) {
      throw new EaselError('model_invalid', `The model's UNet gave no float output "${this.layout.output}".`, {
        outputs: Object.keys(outputs),
      });
    }
    return data;
  }

  private timestepTensor(t: number, rows: number): HostTensor {
    const { timestep, timestepShape } = this.layout;
    const count = timestepShape === 'batch' ? rows : 1;
    const dims = timestepShape === 'scalar' ? [] : [count];
    if (timestep.dtype === 'int64') return { data: new BigInt64Array(count).fill(BigInt(Math.trunc(t))), dims };
    if (timestep.dtype === 'int32') return { data: new Int32Array(count).fill(Math.trunc(t)), dims };
    return { data: new Float32Array(count).fill(t), dims };
  }

  private conditionFeed(
    conditioning: Conditioning,
    rows: number[],
    extras: UnetExtras,
  ): Record<string, HostTensor> {
    const { layout } = this;
    const rowLength = conditioning.sequence * conditioning.dim;
    const hidden = new Float32Array(rowLength * rows.length);
    rows.forEach((row, i) => hidden.set(conditioning.hiddenStates.subarray(row * rowLength, (row + 1) * rowLength), i * rowLength));
    const feed: Record<string, HostTensor> = {
      [layout.hiddenStates.name]: { data: hidden, dims: [rows.length, conditioning.sequence, conditioning.dim], constant: true },
    };
    if (layout.textEmbeds !== null) {
      if (conditioning.pooled === null) {
        throw new EaselError('model_invalid', "The model's UNet takes pooled text embeddings but its text encoder gives none.");
      }
      const pooled = new Float32Array(conditioning.pooledDim * rows.length);
      rows.forEach((row, i) =>
        pooled.set(conditioning.pooled!.subarray(row * conditioning.pooledDim, (row + 1) * conditioning.pooledDim), i * conditioning.pooledDim),
      );
      feed[layout.textEmbeds.name] = { data: pooled, dims: [rows.length, conditioning.pooledDim], constant: true };
    }
    if (layout.timeIds !== null && extras.timeIds !== null) {
      const ids = new Float32Array(extras.timeIds.length * rows.length);
      for (let i = 0; i < rows.length; i++) ids.set(extras.timeIds, i * extras.timeIds.length);
      feed[layout.timeIds.name] = { data: ids, dims: [rows.length, extras.timeIds.length], constant: true };
    }
    if (layout.timestepCond !== null && extras.timestepCond !== null) {
      const cond = new Float32Array(extras.timestepCond.length * rows.length);
      for (let i = 0; i < rows.length; i++) cond.set(extras.timestepCond, i * extras.timestepCond.length);
      feed[layout.timestepCond.name] = { data: cond, dims: [rows.length, extras.timestepCond.length], constant: true };
    }
    return feed;
  }
}
