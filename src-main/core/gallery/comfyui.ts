import type { GenerationParameters, SchedulerName } from '../../../src-preload/api';

/**
 * Reads generation parameters from ComfyUI's `prompt` PNG chunk: the executed graph in API form,
 * `{ "<node id>": { "class_type": "KSampler", "inputs": { "seed": 1, "positive": ["6", 0], … } } }`,
 * where an input is either a value or a link `[node id, output index]`.
 */

interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
}
type ComfyGraph = Record<string, ComfyNode>;
type Link = [string, number];
type LatentSource = { kind: 'empty'; node: ComfyNode } | { kind: 'image' } | { kind: 'sampler' };

/** Links are followed at most this deep, so a cyclic or absurd graph cannot loop. */
const MAX_LINK_DEPTH = 32;

/**
 * JSON.parse, except integers past 2^53 come back as decimal strings: ComfyUI seeds reach 2^64−1 and
 * a JS number would silently round them.
 */
export function parseJsonKeepingLargeIntegers(text: string): unknown {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      const literal = match?.[0] ?? c;
      const isInteger = match !== null && match[1] === undefined && match[2] === undefined;
      if (isInteger && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copiedUpTo, i)}"${literal}"`;
        copiedUpTo = i + literal.length;
      }
      i += literal.length;
      continue;
    }
    i++;
  }
  return JSON.parse(out + text.slice(copiedUpTo));
}

function isLink(value: unknown): value is Link {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === 'string' || typeof value[0] === 'number') &&
    typeof value[1] === 'number'
  );
}

function asGraph(json: unknown): ComfyGraph | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const graph: ComfyGraph = {};
  for (const [id, node] of Object.entries(json)) {
    if (typeof node !== 'object' || node === null) continue;
    const { class_type: classType, inputs } = node as Record<string, unknown>;
    if (typeof classType !== 'string' || typeof inputs !== 'object' || inputs === null) continue;
    graph[id] = { class_type: classType, inputs: inputs as Record<string, unknown> };
  }
  return Object.keys(graph).length > 0 ? graph : null;
}

class GraphReader {
  constructor(private readonly graph: ComfyGraph) {}

  node(link: Link): ComfyNode | undefined {
    return this.graph[String(link[0])];
  }

  /** An input's value, following links into value nodes (primitives, seed generators) by the given keys. */
  value(input: unknown, keys: readonly string[], depth = 0): unknown {
    if (!isLink(input)) return input;
    const node = this.node(input);
    if (!node || depth > MAX_LINK_DEPTH) return undefined;
    for (const key of keys) {
      if (key in node.inputs) return this.value(node.inputs[key], keys, depth + 1);
    }
    return undefined;
  }

  number(input: unknown, keys: readonly string[]): number | undefined {
    const value = this.value(input, keys);
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
  }

  /** The prompt text feeding a conditioning input, through combine / ControlNet / other conditioning nodes. */
  text(input: unknown, role: 'positive' | 'negative', depth = 0): string | undefined {
    if (!isLink(input) || depth > MAX_LINK_DEPTH) return undefined;
    const node = this.node(input);
    if (!node) return undefined;
    for (const key of TEXT_KEYS) {
      if (!(key in node.inputs)) continue;
      const text = this.value(node.inputs[key], TEXT_KEYS);
      if (typeof text === 'string') return text;
    }
    for (const key of [role, ...CONDITIONING_KEYS]) {
      const text = this.text(node.inputs[key], role, depth + 1);
      if (text !== undefined) return text;
    }
    return undefined;
  }

  /**
   * Where a sampler's latent comes from, followed back through nodes that transform samples (upscale,
   * crop): an empty latent of a size, an encoded image (img2img), or an earlier sampler (a second pass).
   */
  latentSource(input: unknown, depth = 0): LatentSource | undefined {
    if (!isLink(input) || depth > MAX_LINK_DEPTH) return undefined;
    const node = this.node(input);
    if (!node) return undefined;
    if (isSampler(node)) return { kind: 'sampler' };
    const upstream = node.inputs.samples ?? node.inputs.latent;
    if (upstream !== undefined) return this.latentSource(upstream, depth + 1);
    if ('width' in node.inputs && 'height' in node.inputs) return { kind: 'empty', node };
    return { kind: 'image' };
  }

  /**
   * A custom sampler's settings gathered as KSampler names them: the sampler name from the KSamplerSelect
   * node, steps (and denoise) from the sigmas node (BasicScheduler, SDTurboScheduler, KarrasScheduler, …),
   * and for SamplerCustomAdvanced the seed from its noise node and cfg and prompts from its guider.
   */
  customSamplerInputs(sampler: ComfyNode): Record<string, unknown> {
    const inputs: Record<string, unknown> = { ...sampler.inputs };
    const select = isLink(sampler.inputs.sampler) ? this.node(sampler.inputs.sampler) : undefined;
    if (select) inputs.sampler_name = select.inputs.sampler_name;
    const sigmas = isLink(sampler.inputs.sigmas) ? this.node(sampler.inputs.sigmas) : undefined;
    if (sigmas) {
      inputs.steps = sigmas.inputs.steps;
      if ('denoise' in sigmas.inputs) inputs.denoise = sigmas.inputs.denoise;
      inputs.scheduler = sigmas.class_type === 'KarrasScheduler' ? 'karras' : sigmas.inputs.scheduler;
    }
    const noise = isLink(sampler.inputs.noise) ? this.node(sampler.inputs.noise) : undefined;
    if (noise && 'noise_seed' in noise.inputs) inputs.noise_seed = noise.inputs.noise_seed;
    const guider = isLink(sampler.inputs.guider) ? this.node(sampler.inputs.guider) : undefined;
    if (guider) {
      for (const key of ['cfg', 'positive', 'negative', 'model']) {
        if (key in guider.inputs) inputs[key] = guider.inputs[key];
      }
      if (!('cfg' in guider.inputs) && 'conditioning' in guider.inputs) {
        // BasicGuider: one conditioning and no guidance (cfg 1).
        inputs.positive = guider.inputs.conditioning;
        inputs.cfg = 1;
      }
    }
    return inputs;
  }

  /** The checkpoint name behind a sampler's model input, through LoRA and patch nodes. */
  modelName(input: unknown, depth = 0): string | undefined {
    if (!isLink(input) || depth > MAX_LINK_DEPTH) return undefined;
    const node = this.node(input);
    if (!node) return undefined;
    for (const key of ['ckpt_name', 'unet_name', 'model_name']) {
      const name = this.value(node.inputs[key], ['value', 'string', 'text']);
      if (typeof name === 'string') return name;
    }
    return this.modelName(node.inputs.model, depth + 1);
  }
}

const TEXT_KEYS = ['text', 'text_g', 'prompt', 'string', 'value', 'text_l'] as const;
const CONDITIONING_KEYS = ['conditioning', 'conditioning_1', 'conditioning_to', 'base_conditioning'] as const;
const SEED_KEYS = ['seed', 'noise_seed', 'value', 'int', 'number'] as const;
const NUMBER_KEYS = ['value', 'int', 'float', 'number', 'steps', 'cfg'] as const;
const NAME_KEYS = ['value', 'string', 'sampler_name', 'scheduler'] as const;

/**
 * ComfyUI's sampler + scheduler names to ours; combinations we have no scheduler for stay unknown. Early
 * ComfyUI (and Fooocus) wrote k-diffusion's function names, `sample_dpmpp_2m` for `dpmpp_2m`.
 */
export function schedulerFromComfyUi(sampler: string, scheduler: string): SchedulerName | undefined {
  switch (sampler.replace(/^sample_/, '')) {
    case 'euler':
      return 'euler';
    case 'euler_ancestral':
      return 'euler-a';
    case 'heun':
      return 'heun';
    case 'lms':
      return 'lms';
    case 'ddim':
      return 'ddim';
    case 'lcm':
      return 'lcm';
    case 'uni_pc':
    case 'uni_pc_bh2':
      return 'unipc';
    case 'dpmpp_2m':
      return scheduler === 'karras' ? 'dpmpp-2m-karras' : 'dpmpp-2m';
    default:
      return undefined;
  }
}

/** KSampler and KSamplerAdvanced carry every setting; the custom samplers link to nodes that hold them. */
function isSampler(node: ComfyNode): boolean {
  const inputs = node.inputs;
  const classic = ('seed' in inputs || 'noise_seed' in inputs) && 'steps' in inputs && 'cfg' in inputs && 'sampler_name' in inputs;
  return classic || isCustomSampler(node);
}

/** SamplerCustom (seed and cfg inline) and SamplerCustomAdvanced (noise and guider nodes), both with sigmas. */
function isCustomSampler(node: ComfyNode): boolean {
  return 'sampler' in node.inputs && 'sigmas' in node.inputs && 'latent_image' in node.inputs;
}

function fileStem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/\.(safetensors|ckpt|pt|pth|bin|onnx|gguf|sft)$/i, '');
}

/**
 * The parameters of the first sampling pass in a ComfyUI prompt graph (a hires-fix second pass starts
 * from the first pass's latent, so the sampler fed by an empty latent wins), or null if the JSON holds
 * no sampler.
 */
export function parseComfyUiPrompt(text: string): Partial<GenerationParameters> | null {
  let json: unknown;
  try {
    json = parseJsonKeepingLargeIntegers(text);
  } catch {
    return null;
  }
  const graph = asGraph(json);
  if (!graph) return null;
  const reader = new GraphReader(graph);
  const samplers = Object.entries(graph)
    .filter(([, node]) => isSampler(node))
    .sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))
    .map(([, node]) => node);
  const sampler =
    samplers.find((node) => reader.latentSource(node.inputs.latent_image)?.kind === 'empty') ??
    samplers.find((node) => reader.latentSource(node.inputs.latent_image)?.kind !== 'sampler') ??
    samplers[0];
  if (!sampler) return null;

  const inputs = isCustomSampler(sampler) ? reader.customSamplerInputs(sampler) : sampler.inputs;
  const result: Partial<GenerationParameters> = {};
  const positive = reader.text(inputs.positive, 'positive');
  if (positive !== undefined) result.prompt = positive;
  const negative = reader.text(inputs.negative, 'negative');
  if (negative !== undefined) result.negativePrompt = negative;

  const seed = reader.value(inputs.seed ?? inputs.noise_seed, SEED_KEYS);
  if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) result.seed = String(seed);
  else if (typeof seed === 'string' && /^\d{1,20}$/.test(seed)) result.seed = seed;

  const steps = reader.number(inputs.steps, NUMBER_KEYS);
  if (steps !== undefined && Number.isInteger(steps) && steps > 0) result.steps = steps;
  const cfg = reader.number(inputs.cfg, NUMBER_KEYS);
  if (cfg !== undefined) result.guidance = cfg;

  const samplerName = reader.value(inputs.sampler_name, NAME_KEYS);
  const schedulerName = reader.value(inputs.scheduler, NAME_KEYS);
  if (typeof samplerName === 'string') {
    const scheduler = schedulerFromComfyUi(samplerName, typeof schedulerName === 'string' ? schedulerName : 'normal');
    if (scheduler) result.scheduler = scheduler;
  }

  const latent = reader.latentSource(inputs.latent_image);
  if (latent?.kind === 'empty') {
    const width = reader.number(latent.node.inputs.width, NUMBER_KEYS);
    const height = reader.number(latent.node.inputs.height, NUMBER_KEYS);
    if (width !== undefined && height !== undefined) {
      result.width = width;
      result.height = height;
    }
  } else if (latent?.kind === 'image') {
    const denoise = reader.number(inputs.denoise, NUMBER_KEYS);
    if (denoise !== undefined && denoise > 0 && denoise < 1) result.strength = denoise;
  }

  const model = reader.modelName(inputs.model);
  if (model !== undefined) result.modelName = fileStem(model);
  return result;
}
