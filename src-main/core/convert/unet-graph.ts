import type { CheckpointFamily } from './checkpoint';
import type { Layers } from './layers';

/**
 * diffusers' UNet2DConditionModel as one ONNX graph, walked from the parameters the checkpoint has (blocks,
 * resnets per block, which levels attend, transformer depth) rather than from a fixed template. Inputs and
 * outputs as optimum exports them: sample, timestep [batch] float32, encoder_hidden_states (+ text_embeds and
 * time_ids for SDXL) → out_sample.
 */
export interface UnetGraphSpec {
  family: CheckpointFamily;
  inChannels: number;
  contextDim: number;
  /** SDXL: the width of the pooled text embeddings fed through text_embeds. */
  pooledDim?: number;
}

const GROUPS = 32;

export async function buildUnetGraph(l: Layers, spec: UnetGraphSpec): Promise<void> {
  const { g, w } = l;
  const sample = g.input('sample', 'float32', ['batch', spec.inChannels, 'height', 'width']);
  const timestep = g.input('timestep', 'float32', ['timestep_batch']);
  const context = g.input('encoder_hidden_states', 'float32', ['batch', 'sequence', spec.contextDim]);

  const [modelChannels] = w.shape('conv_in.weight') as [number];
  const heads = (channels: number) => (spec.family === 'sd1' ? 8 : Math.max(1, Math.floor(channels / 64)));

  let emb = await g.within('time_proj', async () => sinusoidal(l, g.op('Unsqueeze', [timestep, g.int64s([1])]), modelChannels));
  emb = await l.linear('time_embedding.linear_1', emb);
  emb = await l.linear('time_embedding.linear_2', l.silu(emb));
  if (spec.family === 'sdxl') {
    const textEmbeds = g.input('text_embeds', 'float32', ['batch', spec.pooledDim!]);
    const timeIds = g.input('time_ids', 'float32', ['batch', 'time_ids_count']);
    const [, addIn] = w.shape('add_embedding.linear_1.weight') as [number, number];
    const timeEmbedDim = (addIn - spec.pooledDim!) / 6;
    const timeEmbeds = await g.within('add_time_proj', async () => {
      const projected = sinusoidal(l, g.op('Unsqueeze', [timeIds, g.int64s([2])]), timeEmbedDim);
      return g.op('Reshape', [projected, g.int64s([0, -1])]);
    });
    let added = g.op('Concat', [textEmbeds, timeEmbeds], { axis: 1 });
    added = await l.linear('add_embedding.linear_1', added);
    added = await l.linear('add_embedding.linear_2', l.silu(added));
    emb = g.op('Add', [emb, added]);
  }
  const embActivated = l.silu(emb);

  let h = await l.conv('conv_in', sample);
  const skips: string[] = [h];
  for (let block = 0; w.has(`down_blocks.${block}.resnets.0.norm1.weight`); block++) {
    for (let layer = 0; w.has(`down_blocks.${block}.resnets.${layer}.norm1.weight`); layer++) {
      h = await resnet(l, `down_blocks.${block}.resnets.${layer}`, h, embActivated, 1e-5);
      const attention = `down_blocks.${block}.attentions.${layer}`;
      if (w.has(`${attention}.norm.weight`)) h = await transformer(l, attention, h, context, heads);
      skips.push(h);
    }
    if (w.has(`down_blocks.${block}.downsamplers.0.conv.weight`)) {
      h = await l.conv(`down_blocks.${block}.downsamplers.0.conv`, h, { stride: 2 });
      skips.push(h);
    }
  }

  h = await resnet(l, 'mid_block.resnets.0', h, embActivated, 1e-5);
  if (w.has('mid_block.attentions.0.norm.weight')) h = await transformer(l, 'mid_block.attentions.0', h, context, heads);
  h = await resnet(l, 'mid_block.resnets.1', h, embActivated, 1e-5);

  for (let block = 0; w.has(`up_blocks.${block}.resnets.0.norm1.weight`); block++) {
    for (let layer = 0; w.has(`up_blocks.${block}.resnets.${layer}.norm1.weight`); layer++) {
      const skip = skips.pop();
      if (skip === undefined) throw new Error('the UNet has more up-block resnets than skip connections');
      h = g.op('Concat', [h, skip], { axis: 1 });
      h = await resnet(l, `up_blocks.${block}.resnets.${layer}`, h, embActivated, 1e-5);
      const attention = `up_blocks.${block}.attentions.${layer}`;
      if (w.has(`${attention}.norm.weight`)) h = await transformer(l, attention, h, context, heads);
    }
    if (w.has(`up_blocks.${block}.upsamplers.0.conv.weight`)) h = await upsample(l, `up_blocks.${block}.upsamplers.0`, h);
  }

  h = l.silu(await l.groupNorm('conv_norm_out', h, GROUPS, 1e-5));
  h = await l.conv('conv_out', h);
  const [outChannels] = w.shape('conv_out.weight') as [number];
  g.output('out_sample', h, ['batch', outChannels, 'height', 'width']);
}

/** diffusers' Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0): [cos(t·f), sin(t·f)] on the last axis. */
export function sinusoidal(l: Layers, values: string, dim: number): string {
  const half = dim / 2;
  const frequencies = new Float32Array(half);
  for (let i = 0; i < half; i++) frequencies[i] = Math.exp((-Math.log(10000) * i) / half);
  const angles = l.g.op('Mul', [values, l.g.constant([half], frequencies)]);
  return l.g.op('Concat', [l.g.op('Cos', [angles]), l.g.op('Sin', [angles])], { axis: -1 });
}

/** ResnetBlock2D: two GroupNorm-SiLU-conv steps, the time embedding added between, and the shortcut. */
export async function resnet(l: Layers, module: string, x: string, emb: string | null, eps: number): Promise<string> {
  const { g, w } = l;
  let h = await l.conv(`${module}.conv1`, l.silu(await l.groupNorm(`${module}.norm1`, x, GROUPS, eps)));
  if (emb !== null) {
    const projected = await l.linear(`${module}.time_emb_proj`, emb);
    h = g.op('Add', [h, g.op('Unsqueeze', [projected, g.int64s([2, 3])])]);
  }
  h = await l.conv(`${module}.conv2`, l.silu(await l.groupNorm(`${module}.norm2`, h, GROUPS, eps)));
  const shortcut = w.has(`${module}.conv_shortcut.weight`) ? await l.conv(`${module}.conv_shortcut`, x) : x;
  return g.within(module, async () => g.op('Add', [shortcut, h]));
}

/** Transformer2DModel: GroupNorm, proj_in (1×1 conv for SD 1.x, linear for SD 2.x/XL), transformer blocks, proj_out. */
async function transformer(l: Layers, module: string, x: string, context: string, heads: (channels: number) => number): Promise<string> {
  const { g, w } = l;
  const linearProjection = w.shape(`${module}.proj_in.weight`).length === 2;
  const [inner] = w.shape(`${module}.proj_in.weight`) as [number];
  let h = await l.groupNorm(`${module}.norm`, x, GROUPS, 1e-6);
  h = linearProjection ? await l.linear(`${module}.proj_in`, l.toTokens(h)) : l.toTokens(await l.conv(`${module}.proj_in`, h));
  for (let index = 0; w.has(`${module}.transformer_blocks.${index}.norm1.weight`); index++) {
    const block = `${module}.transformer_blocks.${index}`;
    const names: [string, string, string, string] = ['to_q', 'to_k', 'to_v', 'to_out.0'];
    const normed1 = await l.layerNorm(`${block}.norm1`, h, 1e-5);
    h = g.op('Add', [h, await l.attention(`${block}.attn1`, normed1, normed1, heads(inner), { names, qkvBias: false })]);
    const normed2 = await l.layerNorm(`${block}.norm2`, h, 1e-5);
    h = g.op('Add', [h, await l.attention(`${block}.attn2`, normed2, context, heads(inner), { names, qkvBias: false })]);
    h = g.op('Add', [h, await feedForward(l, `${block}.ff`, await l.layerNorm(`${block}.norm3`, h, 1e-5))]);
  }
  h = linearProjection ? l.fromTokens(await l.linear(`${module}.proj_out`, h), x) : await l.conv(`${module}.proj_out`, l.fromTokens(h, x));
  return g.within(module, async () => g.op('Add', [h, x]));
}

/** FeedForward with GEGLU: the projection's first half times GELU of its second half, then net.2. */
async function feedForward(l: Layers, module: string, x: string): Promise<string> {
  const { g, w } = l;
  const [doubled] = w.shape(`${module}.net.0.proj.weight`) as [number];
  const inner = doubled / 2;
  const projected = await l.linear(`${module}.net.0.proj`, x);
  const gated = await g.within(`${module}.net.0`, async () => {
    const half = (start: number) => g.op('Slice', [projected, g.int64s([start]), g.int64s([start + inner]), g.int64s([-1])]);
    return g.op('Mul', [half(0), l.gelu(half(inner))]);
  });
  return l.linear(`${module}.net.2`, gated);
}

/** Upsample2D: nearest-neighbour ×2, then a 3×3 conv. */
export async function upsample(l: Layers, module: string, x: string): Promise<string> {
  const { g } = l;
  const doubled = await g.within(module, async () =>
    g.op('Resize', [x, '', g.constant([4], [1, 1, 2, 2])], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    }),
  );
  return l.conv(`${module}.conv`, doubled);
}
