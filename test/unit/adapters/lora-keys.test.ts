import { describe, expect, it } from 'vitest';
import { parseLoraKeys } from '../../../src-main/core/adapters/lora-keys';

function modules(names: string[]): Array<[string, string]> {
  const parsed = parseLoraKeys(names);
  if (parsed.kind !== 'layers') throw new Error(parsed.reason);
  return parsed.layers.map((layer) => [layer.component, layer.module]);
}

const kohya = (name: string) => [`${name}.lora_down.weight`, `${name}.lora_up.weight`, `${name}.alpha`];

describe('LoRA key names', () => {
  it('reads kohya-ss names of SD 1.x files (diffusers module paths with underscores)', () => {
    const parsed = parseLoraKeys([
      ...kohya('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q'),
      ...kohya('lora_te_text_model_encoder_layers_11_mlp_fc2'),
    ]);
    expect(parsed).toEqual({
      kind: 'layers',
      unused: [],
      layers: [
        {
          component: 'unet',
          module: 'down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q',
          underscored: true,
          down: 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight',
          up: 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight',
          alpha: 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha',
        },
        {
          component: 'text_encoder',
          module: 'text_model_encoder_layers_11_mlp_fc2',
          underscored: true,
          down: 'lora_te_text_model_encoder_layers_11_mlp_fc2.lora_down.weight',
          up: 'lora_te_text_model_encoder_layers_11_mlp_fc2.lora_up.weight',
          alpha: 'lora_te_text_model_encoder_layers_11_mlp_fc2.alpha',
        },
      ],
    });
  });

  it('maps SDXL files’ SGM block names to diffusers blocks as diffusers does', () => {
    const cases: Array<[string, string]> = [
      ['input_blocks_4_1_transformer_blocks_0_attn1_to_q', 'down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q'],
      ['input_blocks_5_1_proj_in', 'down_blocks_1_attentions_1_proj_in'],
      ['input_blocks_3_0_op', 'down_blocks_0_downsamplers_0_conv'],
      ['input_blocks_1_0_emb_layers_1', 'down_blocks_0_resnets_0_time_emb_proj'],
      ['input_blocks_1_0_in_layers_2', 'down_blocks_0_resnets_0_conv1'],
      ['middle_block_1_transformer_blocks_0_ff_net_2', 'mid_block_attentions_0_transformer_blocks_0_ff_net_2'],
      ['middle_block_2_in_layers_2', 'mid_block_resnets_1_conv1'],
      ['output_blocks_0_0_out_layers_3', 'up_blocks_0_resnets_0_conv2'],
      ['output_blocks_4_0_skip_connection', 'up_blocks_1_resnets_1_conv_shortcut'],
      ['output_blocks_2_2_conv', 'up_blocks_0_upsamplers_0_conv'],
      ['output_blocks_8_1_transformer_blocks_1_attn2_to_out_0', 'up_blocks_2_attentions_2_transformer_blocks_1_attn2_to_out_0'],
    ];
    const names = cases.flatMap(([sgm]) => kohya(`lora_unet_${sgm}`));
    names.push(...kohya('lora_te1_text_model_encoder_layers_0_self_attn_q_proj'), ...kohya('lora_te2_text_model_encoder_layers_0_self_attn_q_proj'));
    expect(modules(names)).toEqual([
      ...cases.map(([, diffusers]) => ['unet', diffusers]),
      ['text_encoder', 'text_model_encoder_layers_0_self_attn_q_proj'],
      ['text_encoder_2', 'text_model_encoder_layers_0_self_attn_q_proj'],
    ]);
  });

  it('reads diffusers and PEFT names, old attention-processor names included', () => {
    expect(
      modules([
        'unet.mid_block.attentions.0.proj_in.lora_A.weight',
        'unet.mid_block.attentions.0.proj_in.lora_B.weight',
        'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.down.weight',
        'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.up.weight',
        'unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.processor.to_k_lora.down.weight',
        'unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.processor.to_k_lora.up.weight',
        'text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.down.weight',
        'text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.up.weight',
        'text_encoder_2.text_model.encoder.layers.3.self_attn.out_proj.lora.down.weight',
        'text_encoder_2.text_model.encoder.layers.3.self_attn.out_proj.lora.up.weight',
      ]),
    ).toEqual([
      ['unet', 'mid_block.attentions.0.proj_in'],
      ['unet', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0'],
      ['unet', 'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k'],
      ['text_encoder', 'text_model.encoder.layers.0.mlp.fc1'],
      ['text_encoder_2', 'text_model.encoder.layers.3.self_attn.out_proj'],
    ]);
  });

  it('sets aside tensors that are not LoRA layers and halves without their pair', () => {
    const parsed = parseLoraKeys(['lora_unet_mid_block_attentions_0_proj_in.lora_down.weight', 'something_else', ...kohya('lora_unet_mid_block_attentions_0_proj_out')]);
    expect(parsed).toMatchObject({ kind: 'layers', unused: ['something_else', 'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight'] });
  });

  it('leaves out the kohya layers diffusers does not place (conv_in, conv_out, time and label embeddings)', () => {
    const names = ['conv_in', 'conv_out', 'time_embedding_linear_1', 'time_embed_0', 'label_emb_0_0', 'down_blocks_0_resnets_0_time_emb_proj'];
    expect(modules(names.flatMap((name) => kohya(`lora_unet_${name}`)))).toEqual([['unet', 'down_blocks_0_resnets_0_time_emb_proj']]);
  });

  it.each([
    ['lora_unet_x.hada_w1_a', 'LoHa'],
    ['lora_unet_x.lokr_w1', 'LoKr'],
    ['lora_unet_x.lora_mid.weight', 'CP decomposition'],
    ['lora_unet_x.dora_scale', 'DoRA'],
  ])('names the kind of adapter it does not apply (%s)', (name, kind) => {
    const parsed = parseLoraKeys([name]);
    expect(parsed.kind).toBe('unsupported');
    expect(parsed.kind === 'unsupported' && parsed.reason).toContain(kind);
  });
});
