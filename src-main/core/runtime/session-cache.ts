/**
 * Sessions are expensive to create (seconds for a UNet on a GPU) and hold most of the memory a model needs,
 * so each (model folder, component, provider) gets one session per app run, released when the user
 * switches models or memory runs low.
 */
import path from 'node:path';
import type { ProviderName } from '../../../src-preload/api';
import { OnnxSession, type OnnxSessionOptions } from './session';

/** `model`: an in-memory copy of the model with adapters applied (LoRAs, embeddings), to open instead of the file. */
export type SessionOpener = (
  modelPath: string,
  provider: ProviderName,
  options: OnnxSessionOptions,
  model?: Uint8Array,
) => Promise<OnnxSession>;

/** A part with adapters applied: `key` names the adapter set; `model` builds the patched graph when needed. */
export interface SessionVariant {
  key: string;
  model: () => Promise<Uint8Array>;
}

interface Entry {
  modelDir: string;
  /** Model folder, component and provider: the part whose variants replace one another. */
  part: string;
  variant: string | null;
  session: Promise<OnnxSession>;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly open: SessionOpener = (modelPath, provider, options, model) =>
      model === undefined ? OnnxSession.create(modelPath, provider, options) : OnnxSession.createFromBytes(modelPath, model, provider, options),
  ) {}

  /**
   * The session for `<modelDir>/<component>/model.onnx` on `provider`, created on first use. Sessions with
   * different tuning (e.g. other fixed dimensions) are distinct. A failed creation is not cached, so the
   * next call tries again.
   */
  get(
    modelDir: string,
    component: string,
    provider: ProviderName,
    options: OnnxSessionOptions = {},
    variant?: SessionVariant,
  ): Promise<OnnxSession> {
    const dir = path.resolve(modelDir);
    const part = JSON.stringify([dir, component, provider]);
    const key = JSON.stringify([part, tuningKey(options), variant?.key ?? null]);
    const cached = this.entries.get(key);
    if (cached) return cached.session;
    // One variant of a part at a time: a UNet with other LoRAs replaces the previous one rather than doubling memory.
    void this.releaseWhere((entry) => entry.part === part && entry.variant !== (variant?.key ?? null));
    const modelPath = path.join(dir, component, 'model.onnx');
    const session =
      variant === undefined
        ? this.open(modelPath, provider, options)
        : variant.model().then((model) => this.open(modelPath, provider, options, model));
    this.entries.set(key, { modelDir: dir, part, variant: variant?.key ?? null, session });
    session.catch(() => {
      if (this.entries.get(key)?.session === session) this.entries.delete(key);
    });
    return session;
  }

  /** How many sessions are cached or being created. */
  get size(): number {
    return this.entries.size;
  }

  /** Releases every session of one model folder (on a model switch). */
  releaseModel(modelDir: string): Promise<void> {
    const dir = path.resolve(modelDir);
    return this.releaseWhere((entry) => entry.modelDir === dir);
  }

  releaseAll(): Promise<void> {
    return this.releaseWhere(() => true);
  }

  /**
   * Releases sessions not running and not used for `idleMs` (0: every session not running right now), for
   * when memory runs low. Returns how many were released.
   */
  async releaseIdle(idleMs = 0): Promise<number> {
    const cutoff = Date.now() - idleMs;
    let released = 0;
    for (const [key, entry] of [...this.entries]) {
      const session = await entry.session.catch(() => undefined);
      if (!session || session.busy || session.lastUsed > cutoff) continue;
      if (this.entries.get(key) !== entry) continue;
      this.entries.delete(key);
      await session.release();
      released += 1;
    }
    return released;
  }

  private async releaseWhere(match: (entry: Entry) => boolean): Promise<void> {
    const doomed = [...this.entries].filter(([, entry]) => match(entry));
    for (const [key] of doomed) this.entries.delete(key);
    await Promise.all(
      doomed.map(async ([, entry]) => {
        const session = await entry.session.catch(() => undefined);
        await session?.release();
      }),
    );
  }
}

function tuningKey(options: OnnxSessionOptions): string {
  const dims = options.freeDimensions ?? {};
  return JSON.stringify([options.cpuThreads ?? null, Object.keys(dims).sort().map((name) => [name, dims[name]])]);
}
