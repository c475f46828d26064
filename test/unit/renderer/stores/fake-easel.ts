/**
 * The stores' one dependency is `window.easel`; the real hosts behind it are covered end to end (test/e2e).
 * Here it is the real contract API (createEaselApi) over an in-memory transport: every request is parsed
 * with the channel's schema, as a host does, so a store that sends what no host would take fails the test.
 * Import this module before any store.
 */
import {
  channelSchemas,
  createEaselApi,
  type AppInfo,
  type Channel,
  type ErrorInfo,
  type EventName,
  type EventPayloads,
  type GalleryItem,
  type JobSummary,
  type ModelSummary,
  type ParsedRequestOf,
  type ParsedUploadRequestOf,
  type PublicSettings,
  type ResponseOf,
  type Result,
  schedulerNames,
  type UploadChannel,
  type UploadChannelResponses,
  uploadChannelSchemas,
} from '../../../../src-preload/api';

type Answer<C extends Channel> = (request: ParsedRequestOf<C>) => Result<ResponseOf<C>> | Promise<Result<ResponseOf<C>>>;

export class FakeEasel {
  readonly calls: Array<{ channel: Channel | UploadChannel; request: unknown }> = [];
  private readonly answers = new Map<Channel | UploadChannel, (request: unknown) => Promise<Result<unknown>>>();
  private readonly listeners = new Map<EventName, Set<(payload: unknown) => void>>();

  readonly api = createEaselApi({
    invoke: async (channel, request) => {
      const parsed = channelSchemas[channel].safeParse(request);
      if (!parsed.success) throw new Error(`A host would refuse this ${channel} request: ${parsed.error.message}`);
      this.calls.push({ channel, request: parsed.data });
      const answer = this.answers.get(channel);
      if (!answer) throw new Error(`Nothing answers ${channel} in this test`);
      return answer(parsed.data);
    },
    upload: async (channel, request, file) => {
      const parsed = uploadChannelSchemas[channel].safeParse(request);
      if (!parsed.success) throw new Error(`A host would refuse this ${channel} request: ${parsed.error.message}`);
      if (file.size !== parsed.data.size) throw new Error(`The ${channel} body is ${file.size} bytes, not the ${parsed.data.size} its request names`);
      this.calls.push({ channel, request: parsed.data });
      const answer = this.answers.get(channel);
      if (!answer) throw new Error(`Nothing answers ${channel} in this test`);
      return answer(parsed.data);
    },
    subscribe: (event, listener) => {
      const set = this.listeners.get(event) ?? new Set();
      set.add(listener);
      this.listeners.set(event, set);
      return () => set.delete(listener);
    },
  });

  /** Answers a channel with a value, or with what `respond` returns for the parsed request. */
  answer<C extends Channel>(channel: C, respond: ResponseOf<C> | Answer<C>): void {
    const answer = typeof respond === 'function' ? (respond as Answer<C>) : () => ({ ok: true as const, value: respond });
    this.answers.set(channel, async (request) => answer(request as ParsedRequestOf<C>));
  }

  /** Answers an upload channel when `answered` settles. */
  answerUpload<C extends UploadChannel>(channel: C, answered: Promise<Result<UploadChannelResponses[C]>>): void {
    this.answers.set(channel, () => answered);
  }

  fail(channel: Channel | UploadChannel, error: ErrorInfo): void {
    this.answers.set(channel, async () => ({ ok: false, error }));
  }

  /** The parsed requests a channel got, oldest first. */
  requests<C extends Channel>(channel: C): Array<ParsedRequestOf<C>> {
    return this.calls.filter((call) => call.channel === channel).map((call) => call.request as ParsedRequestOf<C>);
  }

  uploadRequests<C extends UploadChannel>(channel: C): Array<ParsedUploadRequestOf<C>> {
    return this.calls.filter((call) => call.channel === channel).map((call) => call.request as ParsedUploadRequestOf<C>);
  }

  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  reset(): void {
    this.calls.length = 0;
    this.answers.clear();
    this.listeners.clear();
  }
}

export const fake = new FakeEasel();
(globalThis as { window?: unknown }).window = { easel: fake.api, setTimeout, clearTimeout };

/** A promise the test settles when it wants: for answers that arrive late. */
export function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export const ioError: ErrorInfo = { code: 'io', message: 'The disk said no.' };

export function settings(patch: Partial<PublicSettings> = {}): PublicSettings {
  return {
    galleryDir: null,
    modelsDir: null,
    loraDir: null,
    embeddingDir: null,
    hubEndpoint: 'https://huggingface.co',
    hubTokenSet: false,
    preferredProvider: 'auto',
    theme: 'system',
    setupComplete: false,
    lastModelId: null,
    setupStep: 'welcome',
    setupModelId: null,
    ...patch,
  };
}

export function appInfo(patch: Partial<AppInfo> = {}): AppInfo {
  return {
    name: 'Easel',
    version: '0.1.0',
    platform: 'linux',
    arch: 'x64',
    host: 'web',
    paths: { data: '/data', models: '/data/models', gallery: '/data/gallery', loras: '/data/loras', embeddings: '/data/embeddings' },
    ...patch,
  };
}

export function model(id: string, patch: Partial<ModelSummary> = {}): ModelSummary {
  return {
    id,
    name: id.toUpperCase(),
    description: '',
    family: 'sd15',
    inpainting: false,
    tinyDecoder: false,
    upscaleFactor: null,
    origin: 'catalog',
    state: 'installed',
    readOnly: false,
    sizeBytes: 2_600_000_000,
    defaults: { scheduler: 'euler-a', steps: 25, guidance: 7.5, width: 512, height: 512 },
    requirements: null,
    licence: null,
    capabilities: null,
    schedulers: [...schedulerNames],
    download: null,
    ...patch,
  };
}

export function job(id: string, patch: Partial<JobSummary> = {}): JobSummary {
  return {
    id,
    kind: 'generate',
    state: 'queued',
    upscale: null,
    request: {
      modelId: 'sd15',
      prompt: 'a lighthouse',
      negativePrompt: '',
      steps: 20,
      guidance: 7,
      width: 512,
      height: 512,
      scheduler: 'euler-a',
      seed: '1',
      count: 1,
      provider: 'auto',
      preview: true,
      decoder: 'auto',
      strength: null,
    },
    progress: null,
    results: [],
    error: null,
    createdAt: 1000,
    startedAt: null,
    finishedAt: null,
    ...patch,
  };
}

export function galleryItem(id: string, patch: Partial<GalleryItem> = {}): GalleryItem {
  return {
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    width: 512,
    height: 512,
    favourite: false,
    source: 'easel',
    meta: {
      prompt: 'a lighthouse',
      negativePrompt: '',
      modelId: 'sd15',
      modelName: 'SD15',
      scheduler: 'euler-a',
      steps: 20,
      guidance: 7,
      seed: '1',
      width: 512,
      height: 512,
      provider: 'cpu',
      timings: { totalMs: 1, textEncodeMs: 1, denoiseMs: 1, decodeMs: 1, perStepMs: 1 },
      placeholder: false,
      notes: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      app: 'Easel 0.1.0',
    },
    ...patch,
  };
}
