import type { Layers } from './layers';

/**
 * Hugging Face's CLIPTextModel (and CLIPTextModelWithProjection) as one ONNX graph, with the outputs an
 * optimum export has: last_hidden_state and pooler_output, or text_embeds with a projection; SDXL's
 * encoders also give hidden_states.{N-1} and hidden_states.{N}, the penultimate layer being what SDXL
 * conditions on.
 */
export interface TextEncoderGraphSpec {
  /** OpenAI CLIP uses quick GELU; OpenCLIP the exact GELU. */
  activation: 'quick_gelu' | 'gelu';
  /** How many encoder layers to build (SD 2.x drops OpenCLIP's last one, as diffusers does). */
  layers: number;
  hiddenStates: boolean;
  projection: boolean;
}

export async function buildTextEncoderGraph(l: Layers, spec: TextEncoderGraphSpec): Promise<void> {
  const { g, w } = l;
  const [, width] = w.shape('text_model.embeddings.token_embedding.weight') as [number, number];
  const [positions] = w.shape('text_model.embeddings.position_embedding.weight') as [number];
  const heads = Math.max(1, Math.floor(width / 64));
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);

  let h = await g.within('text_model.embeddings', async () => {
    const tokens = g.op('Gather', [await l.param('text_model.embeddings.token_embedding.weight'), ids], { axis: 0 });
    const length = g.op('Slice', [g.op('Shape', [ids]), g.int64s([1]), g.int64s([2])]);
    const table = await l.param('text_model.embeddings.position_embedding.weight');
    const used = g.op('Slice', [table, g.int64s([0]), length, g.int64s([0])]);
    return g.op('Add', [tokens, used]);
  });
  const mask = g.within('text_model', async () => {
    // CLIP's text transformer is causal: each token attends only to itself and the tokens before it.
    const causal = new Float32Array(positions * positions);
    for (let row = 0; row < positions; row++) for (let column = row + 1; column < positions; column++) causal[row * positions + column] = -1e9;
    const length = g.op('Slice', [g.op('Shape', [ids]), g.int64s([1]), g.int64s([2])]);
    const zero = g.int64s([0, 0]);
    return g.op('Slice', [g.constant([positions, positions], causal), zero, g.op('Concat', [length, length], { axis: 0 }), g.int64s([0, 1])]);
  });
  const causalMask = await mask;

  const hidden: string[] = [h];
  for (let layer = 0; layer < spec.layers; layer++) {
    const module = `text_model.encoder.layers.${layer}`;
    const normed1 = await l.layerNorm(`${module}.layer_norm1`, h, 1e-5);
    const attended = await l.attention(`${module}.self_attn`, normed1, normed1, heads, {
      names: ['q_proj', 'k_proj', 'v_proj', 'out_proj'],
      qkvBias: true,
      mask: causalMask,
    });
    h = g.op('Add', [h, attended]);
    const normed2 = await l.layerNorm(`${module}.layer_norm2`, h, 1e-5);
    const up = await l.linear(`${module}.mlp.fc1`, normed2);
    const activated = await g.within(`${module}.mlp`, async () => (spec.activation === 'gelu' ? l.gelu(up) : l.quickGelu(up)));
    h = g.op('Add', [h, await l.linear(`${module}.mlp.fc2`, activated)]);
    hidden.push(h);
  }
  const last = await l.layerNorm('text_model.final_layer_norm', h, 1e-5);
  // The pooled output is the final state at the end-of-text token, the highest id in CLIP's vocabulary.
  const pooled = await g.within('text_model', async () => {
    const end = g.op('Unsqueeze', [g.op('ArgMax', [ids], { axis: 1, keepdims: 0 }), g.int64s([1])]);
    return g.op('GatherND', [last, end], { batch_dims: 1 });
  });

  const sequenceDims = ['batch', 'sequence', width];
  if (spec.projection) {
    const [projectionDim] = w.shape('text_projection.weight') as [number];
    g.output('text_embeds', await l.linear('text_projection', pooled, { bias: false }), ['batch', projectionDim]);
  }
  g.output('last_hidden_state', last, sequenceDims);
  if (!spec.projection) g.output('pooler_output', pooled, ['batch', width]);
  if (spec.hiddenStates) {
    for (const index of [spec.layers - 1, spec.layers]) g.output(`hidden_states.${index}`, hidden[index]!, sequenceDims);
  }
}
