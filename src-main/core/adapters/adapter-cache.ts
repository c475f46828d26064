import type { SessionVariant } from '../runtime/session-cache';
import type { TextEncoderPart } from './embeddings';
import { ModelAdapters } from './model-adapters';
import { type AdapterSources, resolvePromptAdapters } from './prompt-adapters';

export type { AdapterSources };

/** A LoRA a generation used, as recorded with its images (A1111's `Lora hashes` is written from these). */
export interface LoraUse {
  name: string;
  scale: number;
  hash: string;
}

/** What a generation's prompts asked of the adapters, ready for tokenizing and for opening sessions. */
export interface PreparedAdapters {
  /** The prompts without their LoRA tags: what is tokenized. */
  prompt: string;
  negativePrompt: string;
  loras: LoraUse[];
  /** Lower-cased embedding name → token ids, per text encoder. */
  addedTokens(part: TextEncoderPart): ReadonlyMap<string, readonly number[]>;
  /** How to open a part with the adapters applied; undefined for a part they leave alone. */
  variant(part: string): SessionVariant | undefined;
}

/**
 * The adapter set of the last generation, kept so the next one with the same LoRAs, scales and embeddings
 * on the same model reuses it (and the session cache its sessions); another set closes it.
 */
export class AdapterCache {
  private current: { dir: string; key: string; adapters: ModelAdapters } | null = null;

  async prepare(
    modelDir: string,
    prompts: { prompt: string; negativePrompt: string },
    sources: AdapterSources,
    vocabSizes: Partial<Record<TextEncoderPart, number>>,
  ): Promise<PreparedAdapters> {
    const resolved = await resolvePromptAdapters(prompts.prompt, prompts.negativePrompt, sources);
    const loras = resolved.hashes.map(({ name, hash }, i) => ({ name, hash, scale: resolved.loras[i]!.scale }));
    let adapters: ModelAdapters | null = null;
    if (resolved.loras.length > 0 || resolved.embeddings.length > 0) {
      const request = { loras: resolved.loras, embeddings: resolved.embeddings, vocabSizes };
      const key = ModelAdapters.keyOf(request);
      if (this.current?.dir !== modelDir || this.current.key !== key) {
        await this.release();
        this.current = { dir: modelDir, key, adapters: await ModelAdapters.open(modelDir, request) };
      }
      adapters = this.current.adapters;
    }
    return {
      prompt: resolved.prompt,
      negativePrompt: resolved.negativePrompt,
      loras,
      addedTokens: (part) => adapters?.addedTokens(part) ?? new Map(),
      variant: (part) =>
        adapters !== null && adapters.changes(part) ? { key: adapters.key, model: () => adapters.mergedModel(part) } : undefined,
    };
  }

  async release(): Promise<void> {
    const current = this.current;
    this.current = null;
    await current?.adapters.close();
  }
}
