import type { Layers } from './layers';
import { resnet, upsample } from './unet-graph';

/**
 * diffusers' AutoencoderKL halves as ONNX graphs with optimum's names: the decoder maps latent_sample to
 * sample; the encoder maps sample to latent_parameters (the posterior's mean and log-variance, stacked on
 * the channel axis).
 */
const GROUPS = 32;
const EPS = 1e-6;

export async function buildVaeDecoderGraph(l: Layers): Promise<void> {
  const { g, w } = l;
  const [latentChannels] = w.shape('post_quant_conv.weight') as [number];
  const latent = g.input('latent_sample', 'float32', ['batch', latentChannels, 'latent_height', 'latent_width']);
  let h = await l.conv('post_quant_conv', latent);
  h = await l.conv('decoder.conv_in', h);
  h = await midBlock(l, 'decoder.mid_block', h);
  for (let block = 0; w.has(`decoder.up_blocks.${block}.resnets.0.norm1.weight`); block++) {
    for (let layer = 0; w.has(`decoder.up_blocks.${block}.resnets.${layer}.norm1.weight`); layer++) {
      h = await resnet(l, `decoder.up_blocks.${block}.resnets.${layer}`, h, null, EPS);
    }
    if (w.has(`decoder.up_blocks.${block}.upsamplers.0.conv.weight`)) h = await upsample(l, `decoder.up_blocks.${block}.upsamplers.0`, h);
  }
  h = l.silu(await l.groupNorm('decoder.conv_norm_out', h, GROUPS, EPS));
  h = await l.conv('decoder.conv_out', h);
  g.output('sample', h, ['batch', 3, 'height', 'width']);
}

export async function buildVaeEncoderGraph(l: Layers): Promise<void> {
  const { g, w } = l;
  const image = g.input('sample', 'float32', ['batch', 3, 'height', 'width']);
  let h = await l.conv('encoder.conv_in', image);
  for (let block = 0; w.has(`encoder.down_blocks.${block}.resnets.0.norm1.weight`); block++) {
    for (let layer = 0; w.has(`encoder.down_blocks.${block}.resnets.${layer}.norm1.weight`); layer++) {
      h = await resnet(l, `encoder.down_blocks.${block}.resnets.${layer}`, h, null, EPS);
    }
    // The encoder pads right and bottom by one, then convolves with stride 2 and no padding.
    if (w.has(`encoder.down_blocks.${block}.downsamplers.0.conv.weight`)) {
      h = await l.conv(`encoder.down_blocks.${block}.downsamplers.0.conv`, h, { stride: 2, pads: [0, 0, 1, 1] });
    }
  }
  h = await midBlock(l, 'encoder.mid_block', h);
  h = l.silu(await l.groupNorm('encoder.conv_norm_out', h, GROUPS, EPS));
  h = await l.conv('encoder.conv_out', h);
  h = await l.conv('quant_conv', h);
  const [parameters] = w.shape('quant_conv.weight') as [number];
  g.output('latent_parameters', h, ['batch', parameters, 'latent_height', 'latent_width']);
}

/** UNetMidBlock2D of the VAE: resnet, one single-head spatial self-attention, resnet. */
async function midBlock(l: Layers, module: string, x: string): Promise<string> {
  const { g } = l;
  let h = await resnet(l, `${module}.resnets.0`, x, null, EPS);
  const attention = `${module}.attentions.0`;
  const normed = await l.groupNorm(`${attention}.group_norm`, h, GROUPS, EPS);
  const tokens = l.toTokens(normed);
  const attended = await l.attention(attention, tokens, tokens, 1, { names: ['to_q', 'to_k', 'to_v', 'to_out.0'], qkvBias: true });
  h = await g.within(attention, async () => g.op('Add', [l.fromTokens(attended, h), h]));
  return resnet(l, `${module}.resnets.1`, h, null, EPS);
}
