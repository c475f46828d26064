/**
 * Applying a LoRA to an SD 1.5-sized UNet: a synthetic float16 UNet holding every layer a kohya LoRA targets
 * in SD 1.5's 16 transformer blocks (attention, feed-forward, proj_in/out: 267M weights, 534 MB of external
 * data in a sparse file), and a rank-32 LoRA on all of them. Times the merge, the session creation from the
 * merged graph, a scale change (a new merge), and the process's peak memory.
 */
import { open as openFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { onnx } from 'onnx-proto';
import { ModelAdapters } from '../../src-main/core/adapters/model-adapters';
import { OnnxSession } from '../../src-main/core/runtime/session';
import { writeSafetensors, type TensorToWrite } from '../fixtures/safetensors';

export interface LoraBenchResult {
  layers: number;
  unetWeights: number;
  loraRank: number;
  openMs: number;
  mergeMs: number;
  sessionMs: number;
  rescaleMs: number;
  mergedModelBytes: number;
  peakRssMb: number;
}

interface Layer {
  module: string;
  inFeatures: number;
  outFeatures: number;
}

/** SD 1.5's transformer blocks: (block path, width), two per down level, one in the middle, three per up level. */
function sd15Layers(): Layer[] {
  const blocks: Array<[string, number]> = [];
  [320, 640, 1280].forEach((width, level) => {
    for (let a = 0; a < 2; a++) blocks.push([`down_blocks.${level}.attentions.${a}`, width]);
  });
  blocks.push(['mid_block.attentions.0', 1280]);
  [1280, 640, 320].forEach((width, level) => {
    for (let a = 0; a < 3; a++) blocks.push([`up_blocks.${level + 1}.attentions.${a}`, width]);
  });
  const layers: Layer[] = [];
  for (const [block, d] of blocks) {
    const t = `${block}.transformer_blocks.0`;
    layers.push({ module: `${block}.proj_in`, inFeatures: d, outFeatures: d }, { module: `${block}.proj_out`, inFeatures: d, outFeatures: d });
    for (const attn of ['attn1', 'attn2']) {
      const context = attn === 'attn2' ? 768 : d;
      layers.push(
        { module: `${t}.${attn}.to_q`, inFeatures: d, outFeatures: d },
        { module: `${t}.${attn}.to_k`, inFeatures: context, outFeatures: d },
        { module: `${t}.${attn}.to_v`, inFeatures: context, outFeatures: d },
        { module: `${t}.${attn}.to_out.0`, inFeatures: d, outFeatures: d },
      );
    }
    layers.push({ module: `${t}.ff.net.0.proj`, inFeatures: d, outFeatures: 8 * d }, { module: `${t}.ff.net.2`, inFeatures: 4 * d, outFeatures: d });
  }
  return layers;
}

/** A graph with one MatMul per layer, named as exports name them, each summed into one output. */
async function writeUnet(dir: string, layers: Layer[]): Promise<number> {
  await mkdir(path.join(dir, 'unet'), { recursive: true });
  const { DataType, DataLocation } = onnx.TensorProto;
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const inputs = new Map<number, string>();
  let offset = 0;
  let sum: string | undefined;
  layers.forEach((layer, i) => {
    const input = `x${layer.inFeatures}`;
    inputs.set(layer.inFeatures, input);
    const weight = `onnx::MatMul_${i}`;
    const bytes = layer.inFeatures * layer.outFeatures * 2;
    initializers.push({
      name: weight,
      dims: [layer.inFeatures, layer.outFeatures],
      dataType: DataType.FLOAT16,
      dataLocation: DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: 'weights.pb' },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes) },
      ],
    });
    offset += Math.ceil(bytes / 64) * 64;
    const scope = `/${layer.module.replace(/\.(\d+)/g, '#$1').replaceAll('.', '/').replaceAll('#', '.')}`;
    nodes.push({ opType: 'MatMul', name: `${scope}/MatMul`, input: [input, weight], output: [`y${i}`] });
    nodes.push({ opType: 'ReduceSum', name: `${scope}/ReduceSum`, input: [`y${i}`], output: [`s${i}`], attribute: [{ name: 'keepdims', i: 0, type: onnx.AttributeProto.AttributeType.INT }] });
    if (sum === undefined) sum = `s${i}`;
    else {
      nodes.push({ opType: 'Add', name: `/sum_${i}`, input: [sum, `s${i}`], output: [`t${i}`] });
      sum = `t${i}`;
    }
  });
  const valueInfo = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: DataType.FLOAT16, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'unet',
      node: nodes,
      initializer: initializers,
      input: [...inputs].map(([width, name]) => valueInfo(name, [1, width])),
      output: [valueInfo(sum!, [])],
    },
  });
  await writeFile(path.join(dir, 'unet', 'model.onnx'), onnx.ModelProto.encode(model).finish());
  // A sparse file of zeros: the weights' values do not change the work.
  const data = await openFile(path.join(dir, 'unet', 'weights.pb'), 'w');
  await data.truncate(offset);
  await data.close();
  return layers.reduce((total, layer) => total + layer.inFeatures * layer.outFeatures, 0);
}

async function writeLora(file: string, layers: Layer[], rank: number): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  const half = (count: number, shape: number[]): TensorToWrite => {
    const words = new Uint16Array(count);
    for (let i = 0; i < count; i++) words[i] = 0x2000 + (i % 997); // small positive float16 values
    return { dtype: 'F16', shape, data: Buffer.from(words.buffer) };
  };
  for (const layer of layers) {
    const name = `lora_unet_${layer.module.replaceAll('.', '_')}`;
    tensors[`${name}.lora_down.weight`] = half(rank * layer.inFeatures, [rank, layer.inFeatures]);
    tensors[`${name}.lora_up.weight`] = half(layer.outFeatures * rank, [layer.outFeatures, rank]);
    tensors[`${name}.alpha`] = { dtype: 'F32', shape: [], data: Buffer.from(Float32Array.of(rank / 2).buffer) };
  }
  await writeSafetensors(file, tensors);
}

export async function benchLora(dir: string, rank = 32): Promise<LoraBenchResult> {
  const layers = sd15Layers();
  const unetWeights = await writeUnet(dir, layers);
  const loraFile = path.join(dir, 'sd15-style.safetensors');
  await writeLora(loraFile, layers, rank);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    let start = performance.now();
    const adapters = await ModelAdapters.open(dir, { loras: [{ file: loraFile, scale: 0.8 }], embeddings: [], vocabSizes: {} });
    const openMs = performance.now() - start;
    start = performance.now();
    const merged = await adapters.mergedModel('unet');
    const mergeMs = performance.now() - start;
    start = performance.now();
    const session = await OnnxSession.createFromBytes(path.join(dir, 'unet', 'model.onnx'), merged, 'cpu');
    const sessionMs = performance.now() - start;
    await session.release();
    await adapters.close();
    start = performance.now();
    const rescaled = await ModelAdapters.open(dir, { loras: [{ file: loraFile, scale: 0.4 }], embeddings: [], vocabSizes: {} });
    await rescaled.mergedModel('unet');
    const rescaleMs = performance.now() - start;
    await rescaled.close();
    return {
      layers: layers.length,
      unetWeights,
      loraRank: rank,
      openMs,
      mergeMs,
      sessionMs,
      rescaleMs,
      mergedModelBytes: merged.length,
      peakRssMb: Math.round(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** `npx tsx test/bench/lora-bench.ts`: this part of `npm run bench` alone. */
if (require.main === module) {
  void (async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'easel-lora-bench-'));
    try {
      console.log(formatLoraBench(await benchLora(dir)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
}

export function formatLoraBench(result: LoraBenchResult): string {
  const ms = (value: number) => `${Math.round(value)} ms`;
  return [
    `LoRA on an SD 1.5-sized float16 UNet (${result.layers} layers, ${(result.unetWeights / 1e6).toFixed(0)}M weights), rank ${result.loraRank}:`,
    `  open + check ${ms(result.openMs)}, merge ${ms(result.mergeMs)}, session from the merged graph ${ms(result.sessionMs)}`,
    `  scale change (open + merge again) ${ms(result.rescaleMs)}; merged graph in memory ${(result.mergedModelBytes / 2 ** 20).toFixed(0)} MiB; peak RSS ${result.peakRssMb} MiB`,
  ].join('\n');
}
