/**
 * Which model layer each tensor of a LoRA file belongs to, for the naming schemes people's files use:
 * - kohya-ss / Civitai: `lora_unet_<module>`, `lora_te_<module>` (SDXL: `lora_te1_`, `lora_te2_`) with
 *   `.lora_down.weight`, `.lora_up.weight` and `.alpha`; the module path has its dots turned into
 *   underscores, and SDXL files name UNet blocks as the original (SGM) code does (`input_blocks_4_1_…`).
 *   LyCORIS LoCon files use the same names for convolution layers.
 * - diffusers / PEFT: `unet.<module>.lora_A.weight` / `.lora_B.weight`, the older `.lora.down.weight` /
 *   `.lora.up.weight` and attention-processor names (`attn1.processor.to_q_lora.down.weight`), with
 *   `text_encoder.` and `text_encoder_2.` prefixes.
 * The SGM block mapping and the renames follow diffusers' `_maybe_map_sgm_blocks_to_diffusers` and
 * `_convert_unet_lora_key`, so a key names the layer diffusers would load it into.
 */

export type LoraComponent = 'unet' | 'text_encoder' | 'text_encoder_2';

export interface LoraLayerKeys {
  component: LoraComponent;
  /**
   * The layer's module path: dotted (`down_blocks.0.attentions.0.proj_in`) for diffusers keys, or with every
   * dot an underscore for kohya keys, which lost the dots (match with `underscored`).
   */
  module: string;
  underscored: boolean;
  down: string;
  up: string;
  alpha?: string;
}

export type KeyParse =
  | { kind: 'layers'; layers: LoraLayerKeys[]; unused: string[] }
  | { kind: 'unsupported'; reason: string };

const KOHYA = /^(lora_unet|lora_te1|lora_te2|lora_te)_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
const DIFFUSERS = /^(unet|text_encoder_2|text_encoder)\.(.+?)\.(lora_A\.weight|lora_B\.weight|lora\.down\.weight|lora\.up\.weight|down\.weight|up\.weight|alpha)$/;

const KOHYA_COMPONENT: Record<string, LoraComponent> = {
  lora_unet: 'unet',
  lora_te: 'text_encoder',
  lora_te1: 'text_encoder',
  lora_te2: 'text_encoder_2',
};

/** Groups a file's tensor names into layers, or says why the file is a kind Easel does not apply. */
export function parseLoraKeys(names: readonly string[]): KeyParse {
  const unsupported = refuseVariants(names);
  if (unsupported !== undefined) return { kind: 'unsupported', reason: unsupported };

  const sgm = names.some((name) => /^lora_unet_(input_blocks|middle_block|output_blocks)_/.test(name));
  const layers = new Map<string, Partial<LoraLayerKeys> & { component: LoraComponent; module: string; underscored: boolean }>();
  const unused: string[] = [];
  for (const name of names) {
    const kohya = KOHYA.exec(name);
    const diffusers = kohya ? null : DIFFUSERS.exec(name);
    let component: LoraComponent;
    let module: string;
    let underscored: boolean;
    let part: string;
    if (kohya) {
      component = KOHYA_COMPONENT[kohya[1]!]!;
      const mapped = component === 'unet' && sgm ? sgmToDiffusers(kohya[2]!) : kohya[2]!;
      if (mapped === undefined) {
        unused.push(name);
        continue;
      }
      module = component === 'unet' ? renameKohyaUnet(mapped) : mapped;
      if (component === 'unet' && !diffusersPlaces(module)) {
        unused.push(name);
        continue;
      }
      underscored = true;
      part = kohya[3]!;
    } else if (diffusers) {
      component = diffusers[1] as LoraComponent;
      module = renameDiffusersModule(diffusers[2]!);
      underscored = false;
      part = diffusers[3]!;
    } else {
      unused.push(name);
      continue;
    }
    const id = `${component}:${module}`;
    const layer = layers.get(id) ?? { component, module, underscored };
    if (part === 'alpha') layer.alpha = name;
    else if (/(^|[._])(down|A)\.weight$/.test(part)) layer.down = name;
    else layer.up = name;
    layers.set(id, layer);
  }

  const complete: LoraLayerKeys[] = [];
  for (const layer of layers.values()) {
    if (layer.down === undefined || layer.up === undefined) {
      unused.push(...[layer.down, layer.up, layer.alpha].filter((key): key is string => key !== undefined));
      continue;
    }
    complete.push({
      component: layer.component,
      module: layer.module,
      underscored: layer.underscored,
      down: layer.down,
      up: layer.up,
      ...(layer.alpha !== undefined ? { alpha: layer.alpha } : {}),
    });
  }
  return { kind: 'layers', layers: complete, unused };
}

/** Adapter kinds whose math is not a plain up·down product, named so the person knows what they have. */
function refuseVariants(names: readonly string[]): string | undefined {
  if (names.some((name) => /\.hada_w[12]_[ab]$/.test(name))) return 'it is a LyCORIS LoHa, which Easel does not apply yet';
  if (names.some((name) => /\.lokr_w[12](_[ab])?$/.test(name))) return 'it is a LyCORIS LoKr, which Easel does not apply yet';
  if (names.some((name) => name.endsWith('.lora_mid.weight'))) {
    return 'it is a LyCORIS LoCon with CP decomposition (lora_mid), which Easel does not apply yet';
  }
  if (names.some((name) => name.endsWith('.dora_scale') || name.includes('lora_magnitude_vector'))) {
    return 'it is a DoRA, which Easel does not apply yet';
  }
  return undefined;
}

/**
 * SGM block names (`input_blocks_4_1_…`) → diffusers block names (`down_blocks_1_attentions_0_…`), for UNets
 * with two layers per block (SD 1.x, 2.x and SDXL), as diffusers maps them. Undefined for names diffusers
 * does not place (it then ignores the layer).
 */
function sgmToDiffusers(name: string): string | undefined {
  const tokens = name.split('_');
  const [first, second, blockText, innerText] = tokens;
  const blockId = Number(blockText);
  const innerId = Number(innerText);
  const layersPerBlock = 2;
  const innerMap = ['resnets', 'attentions', 'upsamplers'];
  const rest = tokens.slice(4);
  if (first === 'input' && second === 'blocks') {
    if (blockId === 0) return undefined;
    const isOp = tokens.includes('op');
    const block = Math.floor((blockId - 1) / (layersPerBlock + 1));
    const layer = isOp ? 0 : (blockId - 1) % (layersPerBlock + 1);
    const inner = isOp ? 'downsamplers' : innerMap[innerId];
    return inner === undefined ? undefined : ['down', 'blocks', block, inner, layer, ...rest].join('_');
  }
  if (first === 'middle' && second === 'block') {
    const middle = [['resnets', '0'], ['attentions', '0'], ['resnets', '1']][blockId];
    return middle === undefined ? undefined : ['mid', 'block', ...middle, ...tokens.slice(3)].join('_');
  }
  if (first === 'output' && second === 'blocks') {
    const block = Math.floor(blockId / (layersPerBlock + 1));
    const inner = innerMap[innerId];
    const layer = innerId < 2 ? blockId % (layersPerBlock + 1) : 0;
    return inner === undefined ? undefined : ['up', 'blocks', block, inner, layer, ...rest].join('_');
  }
  return name;
}

/**
 * diffusers' kohya conversion turns every underscore into a dot and restores only the names it knows, so
 * `conv_in`, `conv_out` and embedding layers other than a resnet's `time_emb_proj` end up naming no module and
 * are not applied; they are left out here too, so the result is the image diffusers makes.
 */
function diffusersPlaces(module: string): boolean {
  if (module === 'conv_in' || module === 'conv_out') return false;
  return !module.includes('emb') || module.endsWith('_time_emb_proj');
}

/** The SGM-only layer names inside a block, renamed to diffusers' (on underscored names). */
function renameKohyaUnet(name: string): string {
  return name
    .replace(/_emb_layers_1$/, '_time_emb_proj')
    .replace(/_in_layers_2$/, '_conv1')
    .replace(/_out_layers_3$/, '_conv2')
    .replace(/_skip_connection$/, '_conv_shortcut')
    .replace(/(downsamplers_0)_op$/, '$1_conv');
}

/** Older diffusers names for attention-processor and text-encoder LoRA layers → the module they wrap. */
function renameDiffusersModule(name: string): string {
  return name
    .replace(/\.processor\./, '.')
    .replace(/\.(to_q|to_k|to_v)_lora$/, '.$1')
    .replace(/\.to_out_lora$/, '.to_out.0')
    .replace(/\.lora_linear_layer$/, '')
    .replace(/\.lora$/, '');
}
