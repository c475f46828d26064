/**
 * Falling back from one execution provider to the next. A provider that cannot load a model, fails while
 * running it, or produces garbage (NaN, a blank image) is remembered as bad for that model on this machine,
 * so the next generation starts with one that works and the user is told which was skipped and why.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { ErrorCode, ProviderName } from '../../../src-preload/api';
import { providerNames } from '../../../src-preload/api';
import { EaselError } from '../errors';
import { writeJsonAtomic } from '../fs/atomic';
import { providerLabels } from './providers';

export interface BadProvider {
  provider: ProviderName;
  reason: string;
  /** ISO time it was recorded. */
  at: string;
}

interface HealthFile {
  version: 1;
  /** machine key -> model key -> provider -> record */
  machines: Record<string, Record<string, Partial<Record<ProviderName, { reason: string; at: string }>>>>;
}

/** Identifies the machine well enough that moving the settings folder to another computer starts afresh. */
export function defaultMachineKey(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.hostname()}|${process.platform}|${process.arch}|${cpu.trim()}`;
}

/**
 * Bad providers per model per machine, kept in a JSON file (written atomically). A missing or unreadable
 * file counts as "nothing known bad": losing this memory costs one slow retry, never a generation.
 */
export class ProviderHealth {
  private data: HealthFile = { version: 1, machines: {} };
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly machine: string,
    private readonly now: () => Date,
  ) {}

  static async open(
    file: string,
    options: { machine?: string; now?: () => Date } = {},
  ): Promise<ProviderHealth> {
    const health = new ProviderHealth(file, options.machine ?? defaultMachineKey(), options.now ?? (() => new Date()));
    try {
      health.data = parseHealthFile(await readFile(file, 'utf8'));
    } catch {
      health.data = { version: 1, machines: {} };
    }
    return health;
  }

  /** The providers recorded bad for this model, in no particular order. */
  badProviders(model: string): BadProvider[] {
    const records = this.data.machines[this.machine]?.[model] ?? {};
    return providerNames.flatMap((provider) => {
      const record = records[provider];
      return record ? [{ provider, ...record }] : [];
    });
  }

  isBad(model: string, provider: ProviderName): boolean {
    return this.data.machines[this.machine]?.[model]?.[provider] !== undefined;
  }

  markBad(model: string, provider: ProviderName, reason: string): Promise<void> {
    const machine = (this.data.machines[this.machine] ??= {});
    const records = (machine[model] ??= {});
    records[provider] = { reason, at: this.now().toISOString() };
    return this.save();
  }

  /** Forgets one provider's failure for a model, after it worked again. */
  forget(model: string, provider: ProviderName): Promise<void> {
    const records = this.data.machines[this.machine]?.[model];
    if (!records?.[provider]) return this.writing;
    delete records[provider];
    return this.save();
  }

  /** Forgets what is known about one model (e.g. after it was re-downloaded), or about every model. */
  clear(model?: string): Promise<void> {
    const machine = this.data.machines[this.machine];
    if (machine && model !== undefined) delete machine[model];
    else delete this.data.machines[this.machine];
    return this.save();
  }

  /** Writes one after another; a failed write (a locked or full disk) never blocks the next one. */
  private save(): Promise<void> {
    const snapshot = structuredClone(this.data);
    this.writing = this.writing.catch(() => undefined).then(() => writeJsonAtomic(this.file, snapshot));
    return this.writing;
  }
}

function parseHealthFile(text: string): HealthFile {
  const parsed = JSON.parse(text) as Partial<HealthFile>;
  if (parsed.version !== 1 || typeof parsed.machines !== 'object' || parsed.machines === null) {
    throw new Error('unrecognised provider health file');
  }
  return { version: 1, machines: parsed.machines };
}


/** A provider passed over: it failed now, or (with `earlier`) it was skipped untried for failing before. */
export interface SkippedProvider {
  provider: ProviderName;
  reason: string;
  /** Set when the provider was not tried because it is recorded bad for the model: the recorded reason. */
  earlier?: string;
}

export interface FallbackResult<T> {
  value: T;
  provider: ProviderName;
  /** Providers passed over before `provider`, with why. */
  skipped: SkippedProvider[];
}

export interface FallbackMemory {
  health: ProviderHealth;
  /** Which model the attempts are for: the key bad providers are recorded under. */
  model: string;
}

/** Every provider in the order failed (or none was available): provider_failed, with each attempt. */
export class ProvidersExhausted extends EaselError {
  constructor(readonly attempts: SkippedProvider[]) {
    const tried = attempts.map(({ provider, reason }) => `${providerLabels[provider]}: ${reason}`).join('; ');
    super(
      'provider_failed',
      attempts.length === 0
        ? 'No execution provider is available on this machine.'
        : `No execution provider could run this model. ${tried}`,
      { attempts },
    );
  }
}

/**
 * The failures that can be the provider's doing: it could not load the model (provider_failed) or run it
 * (inference_failed, which also covers unusable output), or something not an EaselError was thrown (from
 * ONNX Runtime itself). Every other EaselError is the request's, the model's or Easel's own (invalid_request,
 * model_invalid, model_unsafe, cancelled, internal, io, ...): another provider would meet it too, so it
 * passes straight through and no provider is blamed for it.
 */
const PROVIDER_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['provider_failed', 'inference_failed']);

function isProviderFault(error: unknown): boolean {
  return !(error instanceof EaselError) || PROVIDER_FAULTS.has(error.code);
}

/**
 * Tries `attempt` on each provider in `order` until one succeeds and its result passes `check` (which returns
 * a reason when the result is unusable). Each provider failure is recorded bad in `memory` (when given) and
 * the next provider is tried; an error that is not the provider's fault ends the run at once. Providers
 * already known bad are skipped, unless every provider in the order is; one that works again is forgotten.
 * `attempt` is also told which providers were passed over before it (to report them with its result).
 * When all fail: ProvidersExhausted (provider_failed), with every reason in `attempts` and `detail.attempts`.
 */
export async function runWithFallback<T>(
  order: ProviderName[],
  attempt: (provider: ProviderName, skipped: readonly SkippedProvider[]) => Promise<T>,
  check?: (result: T) => string | null,
  memory?: FallbackMemory,
): Promise<FallbackResult<T>> {
  const skipped: SkippedProvider[] = [];
  const knownBad = new Map((memory?.health.badProviders(memory.model) ?? []).map((bad) => [bad.provider, bad.reason]));
  // When every provider failed before, try them all again rather than give up without trying.
  const everyKnownBad = order.every((provider) => knownBad.has(provider));

  for (const provider of order) {
    const earlier = knownBad.get(provider);
    if (earlier !== undefined && !everyKnownBad) {
      skipped.push({ provider, reason: `failed before: ${earlier}`, earlier });
      continue;
    }
    let reason: string | null;
    try {
      const value = await attempt(provider, [...skipped]);
      reason = check ? check(value) : null;
      if (reason === null) {
        if (earlier !== undefined) await memory?.health.forget(memory.model, provider);
        return { value, provider, skipped };
      }
    } catch (error) {
      if (!isProviderFault(error)) throw error;
      reason = error instanceof Error ? error.message : String(error);
    }
    skipped.push({ provider, reason });
    // Losing this note costs one slow retry next time; it must never stop the next provider's turn.
    await memory?.health.markBad(memory.model, provider, reason).catch(() => undefined);
  }
  throw new ProvidersExhausted(skipped);
}

/**
 * The standard check on a decoded image or latent: a reason when it holds NaN or infinity, or (for images)
 * when every value is the same (a black or blank picture), otherwise null.
 */
export function checkOutput(values: ArrayLike<number>, options: { blankIsBad?: boolean } = {}): string | null {
  let nonFinite = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) {
      nonFinite += 1;
      continue;
    }
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (nonFinite > 0) return `produced ${nonFinite} NaN or infinite values out of ${values.length}`;
  if (options.blankIsBad && values.length > 0 && max - min < 1e-6) return 'produced a blank image';
  return null;
}
