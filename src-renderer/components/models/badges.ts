import type { ModelFamily, ModelSummary } from '../../../src-preload/api';

const FAMILY_LABELS: Record<ModelFamily, string> = {
  sd15: 'SD 1.5',
  sd21: 'SD 2.1',
  'sd-turbo': 'SD-Turbo',
  sdxl: 'SDXL',
  'sdxl-turbo': 'SDXL-Turbo',
  lcm: 'LCM',
  demo: 'Demo',
  upscaler: 'Upscaler',
  'tiny-decoder': 'Tiny decoder',
};

const ORIGIN_LABELS: Record<ModelSummary['origin'], string | null> = {
  catalog: null,
  builtin: 'Built in',
  imported: 'Imported',
};

/** Text as a name says it, whatever the spelling: "Stable Diffusion 1.5" and "SD 1.5" both read "sd15". */
function spoken(text: string): string {
  return text
    .toLowerCase()
    .replace(/stable[\s_-]*diffusion/g, 'sd')
    .replace(/[^a-z0-9]/g, '');
}

/**
 * The badges beside a model's name: its family (an upscaler's with its factor) and where it came from, leaving out what the name already
 * says ("SD-Turbo" needs no "SD-Turbo" badge, "Easel Demo (built-in)" no "Built in").
 */
export function modelBadges(model: Pick<ModelSummary, 'name' | 'family' | 'origin'> & Partial<Pick<ModelSummary, 'upscaleFactor'>>): string[] {
  const name = spoken(model.name);
  const family = model.upscaleFactor == null ? FAMILY_LABELS[model.family] : `${FAMILY_LABELS[model.family]} ×${model.upscaleFactor}`;
  return [family, ORIGIN_LABELS[model.origin]].filter(
    (label): label is string => label !== null && !name.includes(spoken(label)),
  );
}
