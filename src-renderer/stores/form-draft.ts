import { decoderChoices, schedulerNames } from '../../src-preload/api';
import { useGenerateStore, type GenerateForm } from './generate-store';

/** The part of Web Storage the draft needs; the renderer passes localStorage. */
export type DraftStorage = Pick<Storage, 'getItem' | 'setItem'>;

export const DRAFT_KEY = 'easel.generate.draft';

type Draft = Partial<GenerateForm>;

/** Keeps only fields of the right type, so a draft from an older version or edited by hand cannot break the form. */
export function parseDraft(text: string | null): Draft {
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const value = raw as Record<string, unknown>;
  const draft: Draft = {};
  if (typeof value.modelId === 'string') draft.modelId = value.modelId;
  if (typeof value.prompt === 'string') draft.prompt = value.prompt;
  if (typeof value.negativePrompt === 'string') draft.negativePrompt = value.negativePrompt;
  for (const key of ['steps', 'guidance', 'width', 'height', 'count'] as const) {
    const number = value[key];
    if (typeof number === 'number' && Number.isFinite(number)) draft[key] = number;
  }
  if (typeof value.scheduler === 'string' && (schedulerNames as readonly string[]).includes(value.scheduler)) {
    draft.scheduler = value.scheduler as GenerateForm['scheduler'];
  }
  if (typeof value.decoder === 'string' && (decoderChoices as readonly string[]).includes(value.decoder)) {
    draft.decoder = value.decoder as GenerateForm['decoder'];
  }
  if (typeof value.seed === 'string' && /^\d{0,20}$/.test(value.seed)) draft.seed = value.seed;
  if (typeof value.seedLocked === 'boolean') draft.seedLocked = value.seedLocked;
  if (typeof value.hires === 'boolean') draft.hires = value.hires;
  if (typeof value.hiresScale === 'number' && value.hiresScale > 1 && value.hiresScale <= 4) draft.hiresScale = value.hiresScale;
  if (typeof value.hiresStrength === 'number' && value.hiresStrength > 0 && value.hiresStrength <= 1) draft.hiresStrength = value.hiresStrength;
  return draft;
}

function draftOf(form: GenerateForm): GenerateForm {
  const { modelId, prompt, negativePrompt, steps, guidance, width, height, scheduler, decoder, seed, seedLocked, count, hires, hiresScale, hiresStrength } =
    form;
  return { modelId, prompt, negativePrompt, steps, guidance, width, height, scheduler, decoder, seed, seedLocked, count, hires, hiresScale, hiresStrength };
}

/**
 * Restores the form as it was before a reload, then saves it on every change. A model that is no longer
 * installed is replaced by the store's usual choice; the prompt stays.
 */
export function persistFormDraft(storage: DraftStorage): () => void {
  useGenerateStore.setState(parseDraft(storage.getItem(DRAFT_KEY)));
  let saved = '';
  return useGenerateStore.subscribe((state) => {
    const text = JSON.stringify(draftOf(state));
    if (text === saved) return;
    saved = text;
    try {
      storage.setItem(DRAFT_KEY, text);
    } catch {
      // A full or disabled storage only loses the draft, never the form.
    }
  });
}
