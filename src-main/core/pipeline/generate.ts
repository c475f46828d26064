import path from 'node:path';
import type { DecoderUsed, GenerationParameters, ImageMetadata, ProviderChoice, ProviderName, TokenCount } from '../../../src-preload/api';
import { AdapterCache, type AdapterSources, type PreparedAdapters } from '../adapters/adapter-cache';
import { extractLoraTags } from '../adapters/prompt-tags';
import { EaselError } from '../errors';
import { renderPlaceholder } from '../placeholder';
import { type Conditioning, type PromptTokenizer, encodeConditioning } from './conditioning';
import { type ProviderHealth, ProvidersExhausted, type SkippedProvider, checkOutput, runWithFallback } from '../runtime/fallback';
import { providerCandidates, providerLabels } from '../runtime/providers';
import type { SessionCache } from '../runtime/session-cache';
import type { OnnxSessionOptions } from '../runtime/session';
import { decodeFull, encodeImage, runDecoder } from './decode';
import type { GraphSession } from './graph';
import {
  guidanceScaleEmbedding,
  hasNonFinite,
  imageTensorToRgb,
  isBlackImage,
} from './latents';
import { type GuidanceBatching, splitsGuidance } from './memory';
import type { GeneratedImage } from '../generated-image';
import { type ModelFolder, type ModelPartName, TINY_DECODER_ADDON_COMPONENT, type TinyDecoderFolder } from '../models/model-folder';
import { type EditPlan, composeEdit, decodeInitImage, editSettings, prepareEdit } from './edit';
import { Previewer } from './previews';
import { tileSizes } from './tiles';
import { MAX_SEED, TorchCpuGenerator } from './rng';
import { requireOfferedScheduler } from './offered-schedulers';
import { createScheduler, img2imgStart } from './schedulers';
import { providerFailureInWords } from '../runtime/provider-failure';
import { blendKnownRegion, img2imgLatents, inpaintLatents, type InpaintStart, posteriorLatents } from './start-latents';
import { ClipTokenizer } from './tokenizer';
import {
  type Clock,
  type GenerateOptions,
  type GenerationModel,
  type GenerationParams,
  type GenerationProgress,
  systemClock,
} from './types';
import { type UnetLayout, UnetRunner, readUnetLayout } from './unet';

export interface PipelineDeps {
  /** Sessions are created once per model part and provider, and shared across generations. */
  sessions: SessionCache;
  /** The machine's providers, best first (e.g. cuda, webgpu, cpu). */
  providerOrder: () => ProviderName[] | Promise<ProviderName[]>;
  /** The provider chosen in Settings, which 'auto' tries first; 'auto' (the default) for none. */
  preferredProvider?: () => ProviderChoice | Promise<ProviderChoice>;
  /** Keep one model's sessions at a time: a generation with another model first frees the previous one's. */
  oneModelAtATime?: boolean;
  /** Which providers failed for which model on this machine, kept across runs. */
  health: ProviderHealth;
  /** Options for every session the pipeline creates (CPU threads). */
  sessionOptions?: OnnxSessionOptions;
  clock?: Clock;
  /** Recorded in each image's metadata, e.g. "Easel 0.1.0". */
  app?: string;
  /**
   * Guided steps in one UNet call or two (default 'auto': two when a CPU run is short of memory); a run in two
   * calls also opens its CPU sessions without a memory arena.
   */
  guidanceBatching?: GuidanceBatching;
  /** Free memory in bytes (default os.freemem), for 'auto' guidance batching. */
  freeMemory?: () => number;
}

interface LoadedModel {
  id: string;
  name: string;
  folder: ModelFolder;
  /** The tiny decoder of its family installed beside it, used when the folder carries none (see hasTinyDecoder). */
  tinyDecoderAddon: TinyDecoderFolder | null;
  tokenizer: PromptTokenizer;
  tokenizer2: PromptTokenizer | null;
  /** LoRAs and embeddings the prompts ask for, and the prompts without their LoRA tags. */
  adapters: PreparedAdapters;
}

interface ProviderSessions {
  provider: ProviderName;
  encoder: GraphSession;
  encoder2: GraphSession | null;
  unet: GraphSession;
  unetLayout: UnetLayout;
  /** The model's own VAE decoder, opened only when the image is decoded with it. */
  decoder: GraphSession | null;
  /** The tiny decoder, opened when it decodes the image or makes the previews. */
  tinyDecoder: GraphSession | null;
  vaeEncoder: GraphSession | null;
}

/** What one request needs throughout; `guided` is settled once the UNet's inputs are known. */
interface RequestPlan {
  request: GenerationParams;
  model: LoadedModel;
  guided: boolean;
  /** Settled with the provider, since 'auto' depends on it. */
  decoder: DecoderUsed;
  /** The size diffused: the request's, or for "only masked" inpainting the crop's working size. */
  width: number;
  height: number;
  latentHeight: number;
  latentWidth: number;
  /** img2img: the init image as the VAE encoder takes it. */
  initImage: Float32Array | null;
  /** Inpainting and outpainting. */
  edit: EditPlan | null;
  /** The VAE encoder's output per image tensor, so a batch encodes each image once (only the draws differ). */
  encoded: WeakMap<Float32Array, Float32Array>;
  /**
   * Settled with the provider: the machine is short of memory for this run (or two UNet calls were asked for),
   * so guided steps run as two batch-1 calls and CPU sessions opened for it keep no memory arena.
   */
  lean: boolean;
}

/** The first image on the provider that could render it, with what the rest of the batch reuses. */
interface FirstImage {
  sessions: ProviderSessions;
  conditioning: Conditioning;
  textEncodeMs: number;
  /** The providers passed over before this one, as notes for every image's metadata. */
  notes: string[];
  image: GeneratedImage;
}

/** A provider's output is unusable (NaN, blank): inference_failed, so the next provider is tried. */
class BadOutput extends EaselError {
  constructor(message: string) {
    super('inference_failed', message);
  }
}

/**
 * Text-to-image (and image-to-image) on ONNX Runtime: tokenize, encode, denoise, decode. Sessions come
 * from the injected cache so each graph loads once per provider per app run; providers are tried in
 * the machine's order and a provider that fails or produces NaN/black output is marked bad for the
 * model. When none works the placeholder renderer draws labelled stand-ins.
 */
export class TextToImage {
  private readonly clock: Clock;
  private readonly tokenizers = new Map<string, Promise<ClipTokenizer>>();
  /** The model the last generation used, when one model's sessions are kept at a time. */
  private lastModelDir: string | null = null;
  private readonly adapters = new AdapterCache();

  constructor(private readonly deps: PipelineDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Makes `request.count` images with a model already read; parameters come validated from the boundary. */
  async generate(request: GenerationParams, generationModel: GenerationModel, options: GenerateOptions = {}): Promise<GeneratedImage[]> {
    const started = this.clock.now();
    throwIfCancelled(options.signal);
    requireOfferedScheduler(generationModel, request.scheduler);
    const model = await this.loadModel(generationModel, request, options.adapters ?? {});
    if (request.initImage !== undefined && model.folder.parts.vae_encoder === undefined) {
      throw new EaselError(
        'invalid_request',
        `The model ${model.folder.name} has no VAE encoder (vae_encoder/model.onnx), so it cannot start from an image.`,
        { field: 'initImage' },
      );
    }
    if (request.initImage !== undefined && Math.trunc(request.steps * request.initImage.strength) < 1) {
      throw new EaselError(
        'invalid_request',
        `A strength of ${request.initImage.strength} with ${request.steps} steps leaves no step to run; raise the strength or the steps.`,
        { field: 'initImage.strength' },
      );
    }
    if (request.decoder === 'tiny' && !hasTinyDecoder(model)) {
      throw new EaselError(
        'invalid_request',
        `The model ${model.folder.name} has no tiny decoder (vae_decoder_tiny/model.onnx) and the tiny decoder of its family is not installed; choose the full decoder, or download ${model.folder.xl ? 'TAESDXL' : 'TAESD'} from the Models screen (see README, "Fast decode").`,
        { field: 'decoder' },
      );
    }
    const settings = editSettings(request);
    if (model.folder.inpainting && settings === null) {
      throw new EaselError(
        'invalid_request',
        `The model ${model.folder.name} is an inpainting model: give it a starting image with a mask (or outpaint).`,
        { field: 'initImage.mask' },
      );
    }
    const edit = settings === null ? null : await prepareEdit(request, settings, model.folder.nativeSize);
    const width = edit?.width ?? request.width;
    const height = edit?.height ?? request.height;
    const plan: RequestPlan = {
      request,
      model,
      guided: false,
      decoder: 'full',
      width,
      height,
      latentHeight: height / 8,
      latentWidth: width / 8,
      initImage: request.initImage === undefined || edit !== null ? null : await decodeInitImage(request),
      edit,
      encoded: new WeakMap(),
      lean: false,
    };

    const order = await this.candidates(request, options.fallback ?? true);
    const renderFirst = async (provider: ProviderName, skipped: readonly SkippedProvider[]): Promise<FirstImage> => {
      const notes = skipped.map(skipNote);
      plan.decoder = chooseDecoder(request, model, provider);
      plan.lean = splitsGuidance(this.deps.guidanceBatching ?? 'auto', provider, plan.latentHeight, plan.latentWidth, this.deps.freeMemory);
      const sessions = await this.openSessions(model, provider, plan);
      checkSize(plan, sessions.unetLayout);
      // Distilled models (LCM: known from the config or the UNet's timestep_cond; Turbo) run without an unconditional batch.
      const distilled =
        model.folder.architecture === 'lcm' || model.folder.architecture === 'turbo' || sessions.unetLayout.timestepCond !== null;
      plan.guided = request.guidance > 1 && !distilled;
      const encodeStart = this.clock.now();
      const conditioning = await encodeConditioning(
        { tokenizer: model.tokenizer, encoder: sessions.encoder, tokenizer2: model.tokenizer2, encoder2: sessions.encoder2 },
        model.adapters.prompt,
        model.adapters.negativePrompt,
        { guided: plan.guided, zeroEmptyNegative: model.folder.forceZerosForEmptyPrompt },
      );
      const textEncodeMs = this.clock.now() - encodeStart;
      const image = await this.renderImage(plan, sessions, conditioning, 0, { textEncodeMs, started, notes }, options);
      return { sessions, conditioning, textEncodeMs, notes, image };
    };

    // The first image decides the provider: one that fails to load, fails to run or gives NaN or black
    // output is marked bad for this model and the next is tried. The rest of the batch stays on it.
    let first: FirstImage;
    try {
      first = (await runWithFallback(order, renderFirst, undefined, { health: this.deps.health, model: model.folder.dir })).value;
    } catch (error) {
      if (error instanceof ProvidersExhausted) return this.placeholders(request, model, error.attempts, options);
      throw error;
    }
    const images = [first.image];
    await options.onImage?.(first.image);
    for (let k = 1; k < request.count; k++) {
      const context = { textEncodeMs: first.textEncodeMs, started: this.clock.now(), notes: first.notes };
      const image = await this.renderImage(plan, first.sessions, first.conditioning, k, context, options);
      images.push(image);
      await options.onImage?.(image);
    }
    return images;
  }

  /** What stands in for the request's images when no provider could run the model. */
  private async placeholders(
    request: GenerationParams,
    model: LoadedModel,
    attempts: readonly SkippedProvider[],
    options: GenerateOptions,
  ): Promise<GeneratedImage[]> {
    const reason = attempts.length === 0 ? 'no execution provider is available' : 'every execution provider failed';
    const placeholders: GeneratedImage[] = [];
    for (let k = 0; k < request.count; k++) {
      const placeholder = await renderPlaceholder({
        prompt: request.prompt,
        seed: seedFor(request.seed, k),
        width: request.width,
        height: request.height,
        reason,
        parameters: parametersOf(request, model),
        notes: attempts.map(skipNote),
        createdAt: this.clock.date(),
        app: this.deps.app ?? 'Easel',
      });
      placeholders.push(placeholder);
      await options.onImage?.(placeholder);
    }
    return placeholders;
  }

  /** The tokenizers, slow to build, are kept per folder; another model's sessions go first when asked to. */
  private async loadModel({ id, name, folder, tinyDecoderAddon }: GenerationModel, request: GenerationParams, sources: AdapterSources): Promise<LoadedModel> {
    if (this.deps.oneModelAtATime === true) {
      if (this.lastModelDir !== null && this.lastModelDir !== folder.dir) await this.deps.sessions.releaseModel(this.lastModelDir);
      this.lastModelDir = folder.dir;
    }
    const tokenizer = await this.tokenizer(folder.tokenizerDir);
    const tokenizer2 = folder.tokenizer2Dir === null ? null : await this.tokenizer(folder.tokenizer2Dir);
    const vocabSizes = { text_encoder: tokenizer.vocabSize, ...(tokenizer2 ? { text_encoder_2: tokenizer2.vocabSize } : {}) };
    const adapters = await this.adapters.prepare(folder.dir, request, sources, vocabSizes);
    return {
      id,
      name,
      folder,
      tinyDecoderAddon: folder.parts.vae_decoder_tiny === undefined ? (tinyDecoderAddon ?? null) : null,
      tokenizer: tokenizer.withAddedTokens(adapters.addedTokens('text_encoder')),
      tokenizer2: tokenizer2?.withAddedTokens(adapters.addedTokens('text_encoder_2')) ?? null,
      adapters,
    };
  }

  /** How a prompt splits into the model's 75-token chunks, with the tokenizer generation uses. */
  async countTokens(folder: ModelFolder, prompt: string): Promise<TokenCount> {
    return (await this.tokenizer(folder.tokenizerDir)).countTokens(extractLoraTags(prompt).text);
  }

  /** The tokenizer in `dir`, loaded once and shared (the prompt box's token counter uses it too). */
  tokenizer(dir: string): Promise<ClipTokenizer> {
    let loaded = this.tokenizers.get(dir);
    if (loaded === undefined) {
      loaded = ClipTokenizer.load(dir);
      loaded.catch(() => this.tokenizers.delete(dir));
      this.tokenizers.set(dir, loaded);
    }
    return loaded;
  }

  /** Drops what was loaded from a model folder that was removed or replaced, sessions included. */
  async forget(modelDir: string): Promise<void> {
    for (const dir of this.tokenizers.keys()) {
      if (dir.startsWith(modelDir + path.sep)) this.tokenizers.delete(dir);
    }
    if (this.lastModelDir === modelDir) this.lastModelDir = null;
    await this.adapters.release();
    await this.deps.sessions.releaseModel(modelDir);
  }

  /** Frees every session and tokenizer; the pipeline can still be used and loads them again. */
  async dispose(): Promise<void> {
    this.tokenizers.clear();
    this.lastModelDir = null;
    await this.adapters.release();
    await this.deps.sessions.releaseAll();
  }

  /** Without fallback only the first candidate runs, so a failure shows instead of a silent change of provider. */
  private async candidates(request: GenerationParams, fallback: boolean): Promise<ProviderName[]> {
    const preferred = (await this.deps.preferredProvider?.()) ?? 'auto';
    const candidates = providerCandidates(request.provider, preferred, await this.deps.providerOrder());
    return fallback ? candidates : candidates.slice(0, 1);
  }

  private async openSessions(model: LoadedModel, provider: ProviderName, plan: RequestPlan): Promise<ProviderSessions> {
    const options = plan.lean ? { ...this.deps.sessionOptions, memoryArena: false } : this.deps.sessionOptions;
    const { folder, adapters, tinyDecoderAddon } = model;
    const open = (part: ModelPartName) => this.deps.sessions.get(folder.dir, part, provider, options, adapters.variant(part));
    const openTiny = () =>
      tinyDecoderAddon === null ? open('vae_decoder_tiny') : this.deps.sessions.get(tinyDecoderAddon.dir, TINY_DECODER_ADDON_COMPONENT, provider, options);
    const unet = await open('unet');
    const unetLayout = readUnetLayout(unet);
    if (unetLayout.textEmbeds !== null && !folder.xl) {
      throw new EaselError('model_invalid', `The model ${folder.name} has an SDXL UNet but only one text encoder.`, { dir: folder.dir });
    }
    return {
      provider,
      unet,
      unetLayout,
      encoder: await open('text_encoder'),
      encoder2: folder.parts.text_encoder_2 === undefined ? null : await open('text_encoder_2'),
      decoder: plan.decoder === 'full' ? await open('vae_decoder') : null,
      tinyDecoder:
        hasTinyDecoder(model) && (plan.decoder === 'tiny' || plan.request.preview) ? await openTiny()
          : null,
      vaeEncoder: plan.request.initImage !== undefined ? await open('vae_encoder') : null,
    };
  }

  private async renderImage(
    plan: RequestPlan,
    sessions: ProviderSessions,
    conditioning: Conditioning,
    index: number,
    context: { textEncodeMs: number; started: number; notes: string[] },
    options: GenerateOptions,
  ): Promise<GeneratedImage> {
    const { request, model } = plan;
    const { folder } = model;
    const { unetLayout } = sessions;
    const seed = seedFor(request.seed, index);
    const generator = new TorchCpuGenerator(seed);
    const scheduler = createScheduler(request.scheduler, folder.schedulerConfig);
    scheduler.setTimesteps(request.steps);

    const latentDims = [unetLayout.latentChannels, plan.latentHeight, plan.latentWidth];
    const latentLength = latentDims[0]! * latentDims[1]! * latentDims[2]!;
    let timesteps = scheduler.timesteps;
    let latents: Float32Array;
    let inpaint: InpaintStart | null = null;
    if (request.initImage !== undefined) {
      const start = img2imgStart(scheduler, request.initImage.strength);
      scheduler.setBeginIndex(start.beginIndex);
      timesteps = timesteps.slice(start.beginIndex);
      const encode = (image: Float32Array) => this.encodeImage(sessions, plan, image, latentLength, generator);
      if (plan.edit === null) {
        latents = await img2imgLatents(encode, plan.initImage!, scheduler, start.timestep, generator);
      } else {
        const inputs = {
          image: plan.edit.image,
          maskedImage: plan.edit.maskedImage,
          mask: plan.edit.mask,
          width: plan.width,
          height: plan.height,
          latentChannels: unetLayout.latentChannels,
          inpaintingUnet: folder.inpainting,
          strength: request.initImage.strength,
          fill: plan.edit.settings.fill,
          fillSeed: BigInt(seed) ^ FILL_SEED_MIX,
        };
        inpaint = await inpaintLatents(encode, inputs, scheduler, start.timestep, generator);
        latents = inpaint.latents;
      }
    } else {
      latents = generator.randn(latentLength);
      const sigma = scheduler.initNoiseSigma;
      if (sigma !== 1) for (let i = 0; i < latents.length; i++) latents[i]! *= sigma;
    }

    const timeIds =
      unetLayout.timeIds === null
        ? null
        : Float32Array.from([plan.height, plan.width, 0, 0, plan.height, plan.width]);
    const timestepCond =
      unetLayout.timestepCond === null ? null : guidanceScaleEmbedding(request.guidance - 1, unetLayout.timestepCondDim);
    const unetChannels = inpaint?.unetChannels ?? null;
    const unet = new UnetRunner(
      sessions.unet,
      unetLayout,
      conditioning,
      { timeIds, timestepCond, channels: unetChannels },
      latentLength,
      latentDims,
      plan.lean,
    );

    const previewer = new Previewer(sessions.tinyDecoder, this.clock, [latentDims[0]!, plan.latentHeight, plan.latentWidth], folder.xl);
    const denoiseStart = this.clock.now();
    const total = timesteps.length;
    for (let step = 0; step < total; step++) {
      throwIfCancelled(options.signal);
      const stepStart = this.clock.now();
      const t = timesteps[step]!;
      const scaled = scheduler.scaleModelInput(latents, t);
      const noisePrediction = await unet.predictNoise(scaled, t, request.guidance);
      if (step === 0 && unet.lastOutputNonFinite()) throw new BadOutput('the UNet produced NaN or infinite values');
      latents = scheduler.step(noisePrediction, t, latents, generator);
      if (inpaint !== null && !folder.inpainting) {
        latents = blendKnownRegion(latents, inpaint, scheduler, step < total - 1 ? timesteps[step + 1]! : null);
      }
      if (options.onProgress !== undefined) {
        const now = this.clock.now();
        const perStep = (now - denoiseStart) / (step + 1);
        const remaining = total - step - 1 + (request.count - index - 1) * total;
        const progress: GenerationProgress = {
          image: index,
          step: step + 1,
          totalSteps: total,
          elapsedMs: now - context.started,
          etaMs: Math.max(0, remaining * perStep),
          provider: sessions.provider,
        };
        if (request.preview) progress.preview = await previewer.preview(latents, now - stepStart);
        options.onProgress(progress);
      }
    }
    throwIfCancelled(options.signal);
    const denoiseMs = this.clock.now() - denoiseStart;
    if (hasNonFinite(latents)) throw new BadOutput('the denoised latents hold NaN or infinite values');

    const decodeStart = this.clock.now();
    const decoded = await this.decode(sessions, plan, latents, [latentDims[0]!, plan.latentHeight, plan.latentWidth]);
    const rgb = plan.edit === null ? decoded : await composeEdit(plan.edit, decoded);
    const decodeMs = this.clock.now() - decodeStart;

    const metadata: ImageMetadata = {
      ...parametersOf(request, model),
      decoder: plan.decoder,
      seed,
      provider: sessions.provider,
      timings: {
        totalMs: this.clock.now() - context.started,
        textEncodeMs: context.textEncodeMs,
        denoiseMs,
        decodeMs,
        perStepMs: total === 0 ? 0 : denoiseMs / total,
      },
      placeholder: false,
      notes: [...context.notes],
      createdAt: this.clock.date().toISOString(),
      app: this.deps.app ?? 'Easel',
    };
    return { rgb, width: request.width, height: request.height, metadata };
  }

  private async decode(
    sessions: ProviderSessions,
    plan: RequestPlan,
    latents: Float32Array,
    dims: readonly [number, number, number],
  ): Promise<Uint8Array> {
    let image: Float32Array;
    if (plan.decoder === 'tiny') {
      image = await runDecoder(sessions.tinyDecoder!, latents, dims);
    } else {
      const scale = 1 / plan.model.folder.vaeScalingFactor;
      const scaled = new Float32Array(latents.length);
      for (let i = 0; i < latents.length; i++) scaled[i] = latents[i]! * scale;
      image = await decodeFull(sessions.decoder!, scaled, dims, vaeTiles(plan.model.folder));
    }
    const { width, height } = plan;
    const unusable = checkOutput(image, { blankIsBad: true });
    if (unusable !== null) throw new BadOutput(`the VAE decoder ${unusable}`);
    const rgb = imageTensorToRgb(image, height, width);
    if (isBlackImage(rgb)) throw new BadOutput('the VAE decoder produced an all-black image');
    return rgb;
  }

  /** An image's scaled latents: a posterior sample drawn from the job's generator (see posteriorLatents). */
  private async encodeImage(
    sessions: ProviderSessions,
    plan: RequestPlan,
    image: Float32Array,
    latentLength: number,
    generator: TorchCpuGenerator,
  ): Promise<Float32Array> {
    let encoded = plan.encoded.get(image);
    if (encoded === undefined) {
      encoded = await encodeImage(sessions.vaeEncoder!, image, plan.height, plan.width, vaeTiles(plan.model.folder));
      if (encoded.length !== latentLength && encoded.length !== 2 * latentLength) {
        throw new EaselError('model_invalid', `The VAE encoder gave ${encoded.length} values; expected ${latentLength} latents.`);
      }
      if (hasNonFinite(encoded)) throw new BadOutput('the VAE encoder produced NaN or infinite values');
      plan.encoded.set(image, encoded);
    }
    return posteriorLatents(encoded, latentLength, plan.model.folder.vaeScalingFactor, generator);
  }
}

/** The VAE's tiles for large images, as diffusers derives them from its config. */
function vaeTiles(folder: ModelFolder) {
  return tileSizes(folder.vaeSampleSize, folder.vaeBlockCount);
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new EaselError('cancelled', 'The generation was cancelled.');
}

/** Mixed into an image's seed for the latent noise of the "noise" fill, a stream apart from the job's. */
const FILL_SEED_MIX = 0x9e3779b97f4a7c15n;

/** Image k of a request uses seed + k (wrapping past 2^64 - 1), so it can be reproduced on its own. */
export function seedFor(seed: string, index: number): string {
  return ((BigInt(seed) + BigInt(index)) % (MAX_SEED + 1n)).toString();
}

function parametersOf(request: GenerationParams, model: LoadedModel): GenerationParameters {
  const settings = editSettings(request);
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    modelId: model.id,
    modelName: model.name,
    scheduler: request.scheduler,
    steps: request.steps,
    guidance: request.guidance,
    seed: request.seed,
    width: request.width,
    height: request.height,
    ...(request.initImage === undefined ? {} : { strength: request.initImage.strength }),
    ...(request.initImage?.sourceId === undefined ? {} : { sourceImage: request.initImage.sourceId }),
    ...(settings === null
      ? {}
      : {
          maskBlur: settings.maskBlur,
          inpaintArea: settings.inpaintArea,
          ...(settings.inpaintArea === 'masked' ? { maskPadding: settings.maskPadding } : {}),
          maskedContent: settings.fill,
          ...(settings.outpaint === null ? {} : { outpaint: settings.outpaint }),
        }),
    ...(model.adapters.loras.length === 0 ? {} : { loras: model.adapters.loras }),
  };
}

function checkSize(plan: RequestPlan, layout: UnetLayout): void {
  const checks = [
    ['height', layout.latentHeight, plan.latentHeight],
    ['width', layout.latentWidth, plan.latentWidth],
  ] as const;
  for (const [field, fixed, wanted] of checks) {
    if (fixed !== null && fixed !== wanted) {
      throw new EaselError(
        'invalid_request',
        `This model only makes images ${fixed * 8} pixels in ${field}; ${wanted * 8} was asked for.`,
        { field, supported: fixed * 8 },
      );
    }
  }
}

/**
 * The decoder for this run: as asked, or for 'auto' the tiny one where it makes the difference, on a CPU
 * (where the full decoder of a 512x512 image takes as long as several UNet steps) and when the model has one.
 */
function chooseDecoder(request: GenerationParams, model: LoadedModel, provider: ProviderName): DecoderUsed {
  if (request.decoder !== 'auto') return request.decoder;
  return provider === 'cpu' && hasTinyDecoder(model) ? 'tiny' : 'full';
}

/** The model carries a tiny decoder of its own, or the one of its family is installed. */
function hasTinyDecoder(model: LoadedModel): boolean {
  return model.folder.parts.vae_decoder_tiny !== undefined || model.tinyDecoderAddon !== null;
}

/** "WebGPU skipped: <why>", for an image's notes. */
/**
 * "WebGPU skipped: no compatible graphics adapter on this computer". A reason recorded by an older Easel may be
 * the runtime's raw text, so it is put in words here too.
 */
function skipNote(skip: SkippedProvider): string {
  const label = providerLabels[skip.provider];
  const words = (reason: string): string => {
    const plain = providerFailureInWords(skip.provider, reason) ?? reason;
    return plain.startsWith(`${label}: `) ? plain.slice(label.length + 2) : plain;
  };
  return skip.earlier === undefined
    ? `${label} skipped: ${words(skip.reason)}`
    : `${label} skipped: it failed before on this model (${words(skip.earlier)})`;
}
