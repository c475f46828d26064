import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CheckpointInfo } from './checkpoint';

/**
 * The non-weight files of a converted model folder, written from what Easel knows about the family: the
 * pipeline index, the scheduler config the family was trained with, the CLIP tokenizer(s) and the component
 * configs — the same files an optimum ONNX export of the diffusers model carries.
 */
export interface FamilyConfigOptions {
  info: CheckpointInfo;
  tokenizerDir: string;
  prediction: 'epsilon' | 'v_prediction';
  name: string;
}

const TRAINING_SCHEDULE = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  trained_betas: null,
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
};

export async function writeFamilyConfigs(dir: string, options: FamilyConfigOptions): Promise<void> {
  const { info } = options;
  const xl = info.family === 'sdxl';
  const json = async (file: string, value: unknown) => {
    await fsp.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fsp.writeFile(path.join(dir, file), `${JSON.stringify(value, null, 2)}\n`);
  };

  const scheduler = xl
    ? {
        _class_name: 'EulerDiscreteScheduler',
        ...TRAINING_SCHEDULE,
        interpolation_type: 'linear',
        prediction_type: 'epsilon',
        timestep_spacing: 'leading',
        use_karras_sigmas: false,
      }
    : {
        _class_name: 'PNDMScheduler',
        ...TRAINING_SCHEDULE,
        prediction_type: options.prediction,
        skip_prk_steps: true,
        timestep_spacing: 'leading',
      };
  await json('scheduler/scheduler_config.json', scheduler);

  // SD 2.x's OpenCLIP and SDXL's second tokenizer pad with "!" (id 0); OpenAI CLIP with the end token.
  const padTokens = info.textEncoders.map((source) => (source.layout === 'open_clip' ? '!' : '<|endoftext|>'));
  const tokenizerFolders = xl ? ['tokenizer', 'tokenizer_2'] : ['tokenizer'];
  for (const [index, folder] of tokenizerFolders.entries()) {
    await fsp.mkdir(path.join(dir, folder), { recursive: true });
    for (const file of ['vocab.json', 'merges.txt']) await fsp.copyFile(path.join(options.tokenizerDir, file), path.join(dir, folder, file));
    const special = (content: string) => ({ content, lstrip: false, normalized: true, rstrip: false, single_word: false });
    const pad = padTokens[index] === '!' ? '!' : special('<|endoftext|>');
    const tokens = { bos_token: special('<|startoftext|>'), eos_token: special('<|endoftext|>'), pad_token: pad, unk_token: special('<|endoftext|>') };
    await json(`${folder}/special_tokens_map.json`, tokens);
    await json(`${folder}/tokenizer_config.json`, {
      ...tokens,
      add_prefix_space: false,
      do_lower_case: true,
      errors: 'replace',
      model_max_length: 77,
      tokenizer_class: 'CLIPTokenizer',
    });
  }

  const sampleSize = { sd1: 64, sd2: 96, sdxl: 128 }[info.family];
  await json('unet/config.json', {
    _class_name: 'UNet2DConditionModel',
    in_channels: info.unetInChannels,
    out_channels: 4,
    sample_size: sampleSize,
    cross_attention_dim: info.contextDim,
    layers_per_block: info.layersPerBlock,
    addition_embed_type: xl ? 'text_time' : null,
  });
  for (const folder of info.hasVaeEncoder ? ['vae_decoder', 'vae_encoder'] : ['vae_decoder']) {
    await json(`${folder}/config.json`, {
      _class_name: 'AutoencoderKL',
      in_channels: 3,
      out_channels: 3,
      latent_channels: 4,
      sample_size: sampleSize * 8,
      scaling_factor: xl ? 0.13025 : 0.18215,
      force_upcast: xl,
    });
  }
  const textFolders = xl ? ['text_encoder', 'text_encoder_2'] : ['text_encoder'];
  for (const [index, folder] of textFolders.entries()) {
    await json(`${folder}/config.json`, {
      architectures: [index === 1 ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'],
      model_type: 'clip_text_model',
      hidden_act: info.textEncoders[index]!.layout === 'open_clip' ? 'gelu' : 'quick_gelu',
      max_position_embeddings: 77,
      vocab_size: 49408,
    });
  }

  const component = ['optimum', 'ORTModel'];
  await json('model_index.json', {
    _class_name: xl ? 'ORTStableDiffusionXLPipeline' : 'ORTStableDiffusionPipeline',
    _name_or_path: options.name,
    scheduler: ['diffusers', scheduler._class_name],
    ...Object.fromEntries(tokenizerFolders.map((folder) => [folder, ['transformers', 'CLIPTokenizer']])),
    ...Object.fromEntries([...textFolders, 'unet', 'vae_decoder', ...(info.hasVaeEncoder ? ['vae_encoder'] : [])].map((folder) => [folder, component])),
    ...(xl ? { force_zeros_for_empty_prompt: true } : { requires_safety_checker: false }),
  });
}
