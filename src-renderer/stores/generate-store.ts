import { create } from 'zustand';
import {
  decoderChoices,
  schedulerNames,
  type DecoderChoice,
  type GenerateRequestInput,
  type GenerationParameters,
  type ModelSummary,
  type ProviderChoice,
  type SchedulerName,
} from '../../src-preload/api';
import { easel } from '../bridge';
import { useAppStore } from './app-store';

/** The image an img2img generation starts from. */
export interface InitImage {
  /** Base64 without the data-URL prefix, as the contract takes it. */
  data: string;
  /** The same image as a data URL, for the thumbnail. */
  url: string;
  name: string;
  strength: number;
}

export interface GenerateForm {
  modelId: string | null;
  prompt: string;
  negativePrompt: string;
  steps: number;
  guidance: number;
  width: number;
  height: number;
  scheduler: SchedulerName;
  /** Which VAE decoder makes the image: auto (the tiny one on CPU-only runs when the model has one), full, tiny. */
  decoder: DecoderChoice;
  seed: string;
  /** Locked: every generation uses `seed`; unlocked: each generation draws a new one. */
  seedLocked: boolean;
  count: number;
  /** Hires fix: make the image at its size, enlarge it `hiresScale` times and redraw it at `hiresStrength`. */
  hires: boolean;
  hiresScale: number;
  hiresStrength: number;
}

export interface Notice {
  tone: 'info' | 'warning';
  text: string;
  /** One thing to do about it, offered as a button beside the text. */
  action?: { label: string; run(): void };
}

interface GenerateState extends GenerateForm {
  /** Installed models only: the ones that can generate or edit (upscalers are listed apart). */
  models: ModelSummary[];
  /** Installed upscalers (built in or downloaded), for the Upscale actions. */
  upscalers: ModelSummary[];
  /** The upscaler Upscale actions use: 'auto' (the built-in one for the factor), an installed upscaler's id, or 'lanczos'. */
  upscaler: string;
  modelsLoaded: boolean;
  initImage: InitImage | null;
  /** Said once above the form: where loaded settings came from, or why a drop did nothing. */
  notice: Notice | null;
  update(patch: Partial<GenerateForm>): void;
  /** Reads the installed models; `preferId` is chosen when it is installed, else the current choice stays. */
  loadModels(preferId?: string): Promise<void>;
  modelChanged(model: ModelSummary): void;
  selectModel(id: string): void;
  /** Loads settings into the form; resolves once the chosen model is saved as the last one used. */
  applyParameters(parameters: Partial<GenerationParameters> & { lorasNotInstalled?: string[] }, from: string): Promise<void>;
  setInitImage(image: Omit<InitImage, 'strength'>): void;
  /** A gallery image becomes the img2img starting image; false (with a notice saying why) when it cannot be read. */
  startFromGalleryImage(id: string, prompt: string): Promise<boolean>;
  setStrength(strength: number): void;
  clearInitImage(): void;
  setNotice(notice: Notice | null): void;
  /**
   * The request for the next generation: the seed only when it is locked, so Easel draws a fresh one
   * otherwise; 'auto' (the default) leaves the provider to the core.
   */
  takeRequest(provider?: ProviderChoice): GenerateRequestInput | null;
}

export const DEFAULT_STRENGTH = 0.75;
export const MIN_SIDE = 64;
export const MAX_SIDE = 2048;

export function isTurbo(model: ModelSummary | undefined): boolean {
  return model?.family === 'sd-turbo' || model?.family === 'sdxl-turbo';
}

/** Inpainting models only repaint part of a picture: they are offered for edits on the canvas, not here. */
export function makesNewImages(model: ModelSummary): boolean {
  return !model.inpainting;
}

/** Sides must be multiples of 8 within the contract's range. */
export function normaliseSide(side: number): number {
  if (!Number.isFinite(side)) return MIN_SIDE;
  return Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round(side / 8) * 8));
}

function defaultsOf(model: ModelSummary): Partial<GenerateForm> {
  const { scheduler, steps, guidance, width, height } = model.defaults;
  return { modelId: model.id, scheduler, steps, guidance: isTurbo(model) ? 0 : guidance, width, height };
}

function isScheduler(name: unknown): name is SchedulerName {
  return typeof name === 'string' && (schedulerNames as readonly string[]).includes(name);
}

/** The upscaler choice goes back to the built-in one when the upscaler it named is no longer installed. */
function keptUpscaler(choice: string, upscalers: readonly ModelSummary[]): { upscaler: string } {
  return { upscaler: choice === 'auto' || choice === 'lanczos' || upscalers.some((model) => model.id === choice) ? choice : 'auto' };
}

/** Only the newest `loadModels` call applies its list, so a slow older answer cannot undo a newer choice. */
let latestLoad = 0;

export const useGenerateStore = create<GenerateState>((set, get) => ({
  modelId: null,
  prompt: '',
  negativePrompt: '',
  steps: 25,
  guidance: 7,
  width: 512,
  height: 512,
  scheduler: 'euler-a',
  decoder: 'auto',
  seed: '',
  seedLocked: false,
  count: 1,
  hires: false,
  hiresScale: 2,
  hiresStrength: 0.5,
  models: [],
  upscalers: [],
  upscaler: 'auto',
  modelsLoaded: false,
  initImage: null,
  notice: null,

  update: (patch) => set(patch),

  loadModels: async (preferId) => {
    const load = ++latestLoad;
    const result = await easel.models.list();
    if (load !== latestLoad) return;
    if (!result.ok) {
      useAppStore.setState({ error: result.error });
      set({ modelsLoaded: true });
      return;
    }
    const installed = result.value.filter((model) => model.state === 'installed');
    const models = installed.filter((model) => model.family !== 'upscaler' && model.family !== 'tiny-decoder');
    const upscalers = installed.filter((model) => model.family === 'upscaler');
    set({ models, upscalers, modelsLoaded: true, ...keptUpscaler(get().upscaler, upscalers) });
    const generating = models.filter(makesNewImages);
    const current = get().modelId;
    const preferred = generating.find((model) => model.id === preferId);
    if (preferred && preferred.id !== current) return set(defaultsOf(preferred));
    if (current && generating.some((model) => model.id === current)) return;
    const last = useAppStore.getState().settings?.lastModelId;
    const chosen = generating.find((model) => model.id === last) ?? generating[0];
    if (chosen) set(defaultsOf(chosen));
    else set({ modelId: null });
  },

  modelChanged: (model) => {
    // A tiny decoder add-on changes whether its family's models offer the fast decoder: read them again.
    if (model.family === 'tiny-decoder') {
      void get().loadModels();
      return;
    }
    if (model.family === 'upscaler') {
      const others = get().upscalers.filter((known) => known.id !== model.id);
      const upscalers = model.state === 'installed' ? [...others, model].sort((a, b) => a.name.localeCompare(b.name)) : others;
      set({ upscalers, ...keptUpscaler(get().upscaler, upscalers) });
      return;
    }
    const others = get().models.filter((known) => known.id !== model.id);
    const models = model.state === 'installed' ? [...others, model].sort((a, b) => a.name.localeCompare(b.name)) : others;
    set({ models });
    const current = get().modelId;
    const first = models.find(makesNewImages);
    if (current === null && first) set(defaultsOf(first));
    else if (current === model.id && model.state !== 'installed') {
      set(first ? defaultsOf(first) : { modelId: null });
    }
  },

  selectModel: (id) => {
    const model = get().models.find((known) => known.id === id);
    if (!model || id === get().modelId) return;
    // The fast decoder chosen for a model that carries one is no choice for a model without.
    set({ ...defaultsOf(model), ...(get().decoder === 'tiny' && !model.tinyDecoder ? { decoder: 'auto' as const } : {}) });
    void useAppStore.getState().updateSettings({ lastModelId: id });
  },

  applyParameters: async (parameters, from) => {
    // Opened from the gallery before Generate ever showed: the installed models are not known yet.
    if (!get().modelsLoaded) await get().loadModels();
    const patch: Partial<GenerateForm> = {};
    const notes: string[] = [];
    if (parameters.modelId !== undefined && parameters.modelId !== get().modelId) {
      if (get().models.some((model) => model.id === parameters.modelId)) patch.modelId = parameters.modelId;
      else notes.push(`its model (${parameters.modelName || parameters.modelId}) is not installed, so the current one stays`);
    }
    if (parameters.prompt !== undefined) patch.prompt = parameters.prompt;
    const missing = parameters.lorasNotInstalled ?? [];
    if (missing.length === 1) notes.push(`the LoRA ${missing[0]} is not installed (drop its .safetensors file here to install it)`);
    if (missing.length > 1) notes.push(`the LoRAs ${missing.join(', ')} are not installed (drop their .safetensors files here to install them)`);
    if (parameters.negativePrompt !== undefined) patch.negativePrompt = parameters.negativePrompt;
    if (parameters.steps !== undefined) patch.steps = Math.min(200, Math.max(1, Math.round(parameters.steps)));
    if (parameters.guidance !== undefined) patch.guidance = Math.min(30, Math.max(0, parameters.guidance));
    if (parameters.width !== undefined) patch.width = normaliseSide(parameters.width);
    if (parameters.height !== undefined) patch.height = normaliseSide(parameters.height);
    if (isScheduler(parameters.scheduler)) patch.scheduler = parameters.scheduler;
    else if (parameters.scheduler !== undefined) notes.push(`its scheduler "${String(parameters.scheduler)}" is unknown here`);
    // An image records the decoder that made it; reproducing it means asking for that one.
    if (parameters.decoder !== undefined && (decoderChoices as readonly string[]).includes(parameters.decoder)) patch.decoder = parameters.decoder;
    patch.hires = parameters.hiresScale !== undefined;
    if (parameters.hiresScale !== undefined) patch.hiresScale = parameters.hiresScale;
    if (parameters.hiresStrength !== undefined) patch.hiresStrength = parameters.hiresStrength;
    // Settings loaded from an image are for reproducing it: keep its seed, and say so.
    const seedKept = parameters.seed !== undefined && /^\d{1,20}$/.test(parameters.seed);
    if (seedKept) {
      patch.seed = parameters.seed;
      patch.seedLocked = true;
    }
    set(patch);
    const image = get().initImage;
    if (image && parameters.strength !== undefined) set({ initImage: { ...image, strength: parameters.strength } });
    const seedText = seedKept ? ` Its seed ${parameters.seed} is locked, so Generate draws the same picture again.` : '';
    const text = `Loaded the settings of ${from}${notes.length ? `; ${notes.join('; ')}` : ''}.${seedText}`;
    const action = seedKept
      ? { label: 'Use a random seed', run: () => set({ seed: '', seedLocked: false, notice: null }) }
      : undefined;
    set({ notice: { tone: notes.length ? 'warning' : 'info', text, ...(action ? { action } : {}) } });
    if (patch.modelId) await useAppStore.getState().updateSettings({ lastModelId: patch.modelId });
  },

  setInitImage: (image) => set({ initImage: { ...image, strength: get().initImage?.strength ?? DEFAULT_STRENGTH } }),
  setStrength: (strength) => {
    const image = get().initImage;
    if (image) set({ initImage: { ...image, strength } });
  },
  startFromGalleryImage: async (id, prompt) => {
    const result = await easel.gallery.image({ id });
    if (!result.ok) {
      set({ notice: { tone: 'warning', text: `Could not use the image as a starting image: ${result.error.message}` } });
      return false;
    }
    const url = result.value.dataUrl;
    const name = prompt.trim() || id;
    get().setInitImage({ data: url.slice(url.indexOf(',') + 1), url, name });
    set({ notice: { tone: 'info', text: `"${name}" is now the image to start from (img2img). Write what should change and press Generate.` } });
    return true;
  },
  clearInitImage: () => set({ initImage: null }),
  setNotice: (notice) => set({ notice }),

  takeRequest: (provider = 'auto') => {
    const state = get();
    if (!state.modelId) return null;
    return {
      modelId: state.modelId,
      prompt: state.prompt,
      negativePrompt: state.negativePrompt,
      steps: state.steps,
      guidance: state.guidance,
      width: state.width,
      height: state.height,
      scheduler: state.scheduler,
      decoder: state.decoder,
      ...(state.seedLocked && state.seed !== '' ? { seed: state.seed } : {}),
      count: state.count,
      provider,
      preview: true,
      ...(state.initImage ? { initImage: { data: state.initImage.data, strength: state.initImage.strength } } : {}),
      // Hires fix makes a new picture; with a starting image it does not apply.
      ...(state.hires && !state.initImage ? { hires: { scale: state.hiresScale, strength: state.hiresStrength } } : {}),
    };
  },
}));

/** Models installed, removed or repaired elsewhere (the Models screen) show up in the select. */
export function followModelChanges(): () => void {
  return easel.subscribe('models.changed', (model) => useGenerateStore.getState().modelChanged(model));
}
