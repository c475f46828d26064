import { providerChoiceSchema, type ImageMetadata, type ProviderChoice, type ProviderName } from '../src-preload/api';
import { unavailability, type Machine, type Unavailability } from '../src-shared/providers';

/** Providers by their technical names, where a result says what ran it ("Ran on: WebGPU"). */
export const providerLabels: Record<ImageMetadata['provider'], string> = {
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML',
  coreml: 'Core ML',
  webgpu: 'WebGPU',
  cpu: 'CPU',
  placeholder: 'placeholder',
};

/** The choices in Settings → Run models on, with the system each one needs. */
export const providerChoiceLabels: Record<ProviderChoice, string> = {
  auto: 'Automatic (best available)',
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML (Windows)',
  coreml: 'Core ML (macOS)',
  webgpu: 'WebGPU',
  cpu: 'CPU only',
};

export interface ProviderChoiceOption {
  choice: ProviderChoice;
  /** "NVIDIA CUDA — no NVIDIA graphics card found", "DirectML (Windows) — not available here". */
  label: string;
  /** Made for another system: it cannot be picked. */
  disabled: boolean;
  /** Why it cannot work here, as a sentence with what Easel does instead; null when it may work. */
  note: string | null;
}

/** What a person reads under a choice that cannot work here: what Easel knows, and what it does instead. */
function choiceNote(label: string, why: Unavailability): string {
  if (why.kind === 'system') return `Not available on this computer: ${why.reason}. Easel uses the best provider that works instead.`;
  const found = why.missing.charAt(0).toUpperCase() + why.missing.slice(1);
  return `${found} on this computer. Easel tries ${label} first all the same, then the best provider that works.`;
}

/**
 * Settings → Run models on, for this computer. A provider made for another system is shown but cannot be
 * picked. One that needs a graphics card detection did not find is marked yet can be picked: detection can
 * miss a card, and a provider that fails hands over to the next one that works. `gpus` null: not known yet.
 */
export function providerChoiceOptions(platform: string, gpus: Machine['gpus'] | null): ProviderChoiceOption[] {
  return providerChoiceSchema.options.map((choice) => {
    const base = providerChoiceLabels[choice];
    const why = choice === 'auto' ? null : unavailability(choice, { platform, gpus });
    if (why === null) return { choice, label: base, disabled: false, note: null };
    const mark = why.kind === 'system' ? 'not available here' : why.missing;
    return { choice, label: `${base} — ${mark}`, disabled: why.kind === 'system', note: choiceNote(base, why) };
  });
}

/** Providers as a person knows them, in setup: by the part of the computer that does the work. */
export const providerNames: Record<ProviderName, string> = {
  cpu: 'Processor (CPU)',
  cuda: 'NVIDIA graphics card (CUDA)',
  dml: 'Graphics card (DirectML)',
  coreml: 'Apple GPU and Neural Engine (Core ML)',
  webgpu: 'Graphics card (WebGPU)',
};

/** The part that does the work, inside a sentence: "about 4 s per picture on the graphics card". */
export const deviceNames: Record<ProviderName, string> = {
  cpu: 'processor',
  cuda: 'NVIDIA graphics card',
  dml: 'graphics card',
  coreml: 'Apple GPU',
  webgpu: 'graphics card',
};
