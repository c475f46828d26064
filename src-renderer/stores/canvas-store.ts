import { create } from 'zustand';
import type { GalleryItem, GenerateRequestInput, InpaintArea, MaskFill, Outpaint, UpscaleFactor } from '../../src-preload/api';
import { easel } from '../bridge';
import { useAppStore } from './app-store';
import { useGenerateStore } from './generate-store';
import { useJobsStore } from './jobs-store';

/** The picture on the canvas: a gallery image (so the result links to it) or an opened file. */
export interface CanvasImage {
  /** The gallery image, or null for one that is not in the gallery. */
  id: string | null;
  /** A data URL of the picture. */
  url: string;
  width: number;
  height: number;
  prompt: string;
  negativePrompt: string;
}

/** Brush and eraser paint the mask; the hand moves the view (as a held Space or a middle button does). */
export type CanvasTool = 'brush' | 'eraser' | 'hand';
export const noOutpaint: Outpaint = { left: 0, top: 0, right: 0, bottom: 0 };

interface CanvasState {
  image: CanvasImage | null;
  tool: CanvasTool;
  /** Brush diameter in image pixels. */
  brushSize: number;
  /** 1: a hard edge; 0: soft all the way from the centre. */
  hardness: number;
  maskOpacity: number;
  outpaint: Outpaint;
  /** How far one press of an outpaint handle extends the picture. */
  extendBy: number;
  prompt: string;
  negativePrompt: string;
  /** The model edits run with: any installed one, inpainting models included. */
  modelId: string | null;
  strength: number;
  maskBlur: number;
  inpaintArea: InpaintArea;
  maskPadding: number;
  fill: MaskFill;
  upscaleScale: UpscaleFactor;
  /** Why the last action did not happen, said above the Repaint button. */
  message: string | null;
  update(patch: Partial<Omit<CanvasState, 'image'>>): void;
  /** Adds `extendBy` pixels on one side, within the contract's 1024. */
  extend(side: keyof Outpaint): void;
  /** Puts a picture that is not in the gallery (a file) on the canvas. */
  openImage(image: CanvasImage): void;
  /** Puts a gallery image on the canvas and shows the Canvas screen; false with a message when it cannot be read. */
  openGalleryImage(item: GalleryItem): Promise<boolean>;
  /** Queues an inpaint/outpaint of the picture; `mask` is a PNG (base64, white = repaint) or null for none painted. */
  edit(mask: string | null): Promise<boolean>;
  /** Queues an upscale of the picture (a gallery image). */
  upscale(): Promise<boolean>;
}

const MULTIPLE = 8;
/** The contract's most on one side. */
const MAX_EXTEND = 1024;

/** The picture travels as a data URL; the request takes its base64. */
function base64Of(url: string): string {
  return url.slice(url.indexOf(',') + 1);
}

function hasOutpaint(outpaint: Outpaint): boolean {
  return outpaint.left + outpaint.top + outpaint.right + outpaint.bottom > 0;
}

export const useCanvasStore = create<CanvasState>((set, get) => ({
  image: null,
  tool: 'brush',
  brushSize: 24,
  hardness: 0.8,
  maskOpacity: 0.5,
  outpaint: noOutpaint,
  extendBy: 64,
  prompt: '',
  negativePrompt: '',
  modelId: null,
  strength: 1,
  maskBlur: 4,
  inpaintArea: 'whole',
  maskPadding: 32,
  fill: 'original',
  upscaleScale: 2,
  message: null,

  update: (patch) => set(patch),

  extend: (side) => {
    const { outpaint, extendBy } = get();
    set({ outpaint: { ...outpaint, [side]: Math.min(MAX_EXTEND, outpaint[side] + extendBy) }, message: null });
  },

  openImage: (image) => {
    set({ image, prompt: image.prompt, negativePrompt: image.negativePrompt, outpaint: noOutpaint, message: null });
    useAppStore.getState().setScreen('canvas');
  },

  openGalleryImage: async (item) => {
    const result = await easel.gallery.image({ id: item.id });
    if (!result.ok) {
      set({ message: `Could not open the image on the canvas: ${result.error.message}` });
      return false;
    }
    const form = useGenerateStore.getState();
    if (!form.modelsLoaded) await form.loadModels();
    const installed = useGenerateStore.getState().models;
    const modelId = installed.some((model) => model.id === item.meta.modelId) ? item.meta.modelId : useGenerateStore.getState().modelId;
    set({
      image: { id: item.id, url: result.value.dataUrl, width: item.width, height: item.height, prompt: item.meta.prompt, negativePrompt: item.meta.negativePrompt },
      prompt: item.meta.prompt,
      negativePrompt: item.meta.negativePrompt,
      modelId: get().modelId ?? modelId,
      outpaint: noOutpaint,
      message: null,
    });
    useAppStore.getState().setScreen('canvas');
    return true;
  },

  edit: async (mask) => {
    const state = get();
    const { image } = state;
    if (!image) return false;
    const model = useGenerateStore.getState().models.find((known) => known.id === state.modelId);
    if (!model) {
      set({ message: 'Choose a model for the edit.' });
      return false;
    }
    if (mask === null && !hasOutpaint(state.outpaint)) {
      set({ message: 'Paint over what should change, or extend the picture on a side, first.' });
      return false;
    }
    if (image.width % MULTIPLE !== 0 || image.height % MULTIPLE !== 0) {
      set({ message: `This picture is ${image.width}×${image.height}; edits need sides that are multiples of ${MULTIPLE}. Upscale it or pick another.` });
      return false;
    }
    const form = useGenerateStore.getState();
    // The form's settings suit its own model; another model starts from its own defaults.
    const own = model.id === form.modelId;
    const scheduler = own && model.schedulers.includes(form.scheduler) ? form.scheduler : model.defaults.scheduler;
    const request: GenerateRequestInput = {
      modelId: model.id,
      prompt: state.prompt,
      negativePrompt: state.negativePrompt,
      steps: own ? form.steps : model.defaults.steps,
      guidance: own ? form.guidance : model.defaults.guidance,
      width: image.width + state.outpaint.left + state.outpaint.right,
      height: image.height + state.outpaint.top + state.outpaint.bottom,
      scheduler,
      ...(form.seedLocked && form.seed !== '' ? { seed: form.seed } : {}),
      count: 1,
      provider: 'auto',
      preview: true,
      decoder: form.decoder,
      initImage: {
        data: base64Of(image.url),
        strength: state.strength,
        ...(mask === null ? {} : { mask }),
        ...(hasOutpaint(state.outpaint) ? { outpaint: state.outpaint } : {}),
        maskBlur: state.maskBlur,
        inpaintArea: state.inpaintArea,
        ...(state.inpaintArea === 'masked' ? { maskPadding: state.maskPadding } : {}),
        fill: state.fill,
        ...(image.id === null ? {} : { sourceId: image.id }),
      },
    };
    const job = await useJobsStore.getState().enqueue(request);
    if (!job) {
      set({ message: `The edit was not queued: ${useJobsStore.getState().takeError()}` });
      return false;
    }
    set({ message: null });
    useAppStore.getState().setScreen('generate');
    return true;
  },

  upscale: async () => {
    const { image, upscaleScale } = get();
    if (!image) return false;
    if (image.id === null) {
      set({ message: 'Only gallery images can be upscaled: generate or edit the picture first.' });
      return false;
    }
    const { upscaler } = useGenerateStore.getState();
    const job = await useJobsStore.getState().enqueueUpscale({ imageId: image.id, scale: upscaleScale, upscaler });
    if (!job) {
      set({ message: `The upscale was not queued: ${useJobsStore.getState().takeError()}` });
      return false;
    }
    set({ message: null });
    useAppStore.getState().setScreen('generate');
    return true;
  },
}));
