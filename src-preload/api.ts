/**
 * THE contract between the renderer and the hosts (Electron IPC and the web host).
 *
 * Every channel is named here with a runtime schema for its request; the hosts validate each request
 * against it before the core sees it. Responses and events are typed here too. This file must stay
 * environment-neutral: no Node, no DOM, no Electron, so the preload, the renderer and the core can all
 * import it.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Errors

export const errorCodes = [
  'invalid_request',
  'unknown_channel',
  'unauthorized',
  'forbidden',
  'not_found',
  'cancelled',
  'model_invalid',
  'model_unsafe',
  'provider_failed',
  'inference_failed',
  'download_failed',
  'checksum_mismatch',
  'disk_full',
  'image_invalid',
  'network',
  'io',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** How a failure crosses the boundary: a code for programs, a message for people. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  detail?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

// ---------------------------------------------------------------------------------------------
// Shared value schemas

export const schedulerNames = [
  'ddim',
  'pndm',
  'lms',
  'euler',
  'euler-a',
  'heun',
  'dpmpp-2m',
  'dpmpp-2m-karras',
  'unipc',
  'lcm',
] as const;
export const schedulerNameSchema = z.enum(schedulerNames);
export type SchedulerName = z.infer<typeof schedulerNameSchema>;

export const providerNames = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export const providerNameSchema = z.enum(providerNames);
export type ProviderName = z.infer<typeof providerNameSchema>;
export const providerChoiceSchema = z.enum(['auto', ...providerNames]);
export type ProviderChoice = z.infer<typeof providerChoiceSchema>;

/** Seeds go up to 2^64−1, past what a JSON number holds exactly, so they travel as decimal strings. */
export const MAX_SEED = 18446744073709551615n;
export const seedSchema = z
  .union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,20}$/)])
  .transform((seed) => String(seed))
  .refine((seed) => BigInt(seed) <= MAX_SEED, { message: 'Seed must be between 0 and 18446744073709551615' });

const imageSide = z
  .number()
  .int()
  .min(64, 'must be at least 64 pixels')
  .max(2048, 'must be at most 2048 pixels')
  .refine((side) => side % 8 === 0, 'must be a multiple of 8');

export const generateRequestSchema = z
  .object({
    modelId: z.string().min(1, 'Choose a model'),
    prompt: z.string().max(20_000),
    negativePrompt: z.string().max(20_000).default(''),
    steps: z.number().int().min(1).max(200),
    guidance: z.number().min(0).max(30),
    width: imageSide,
    height: imageSide,
    scheduler: schedulerNameSchema,
    seed: seedSchema,
    count: z.number().int().min(1).max(16).default(1),
    provider: providerChoiceSchema.default('auto'),
    /** img2img: a PNG or JPEG as base64, and how far from it the result may move (0–1). */
    initImage: z
      .object({ data: z.string().min(1).max(60_000_000), strength: z.number().gt(0).max(1) })
      .strict()
      .optional(),
    preview: z.boolean().default(true),
  })
  .strict();
export type GenerateRequest = z.output<typeof generateRequestSchema>;
export type GenerateRequestInput = z.input<typeof generateRequestSchema>;

/** The parameters that made an image: what the gallery embeds in its PNG and "use these settings" reads. */
export interface GenerationParameters {
  prompt: string;
  negativePrompt: string;
  modelId: string;
  modelName: string;
  scheduler: SchedulerName;
  steps: number;
  guidance: number;
  seed: string;
  width: number;
  height: number;
  strength?: number;
}

export interface GenerationTimings {
  totalMs: number;
  textEncodeMs: number;
  denoiseMs: number;
  decodeMs: number;
  perStepMs: number;
}

/** Everything Easel records about one image, embedded in the PNG and kept in the gallery index. */
export interface ImageMetadata extends GenerationParameters {
  provider: ProviderName | 'placeholder';
  timings: GenerationTimings;
  placeholder: boolean;
  /** Why the placeholder was drawn, or which providers were skipped and why. */
  notes: string[];
  createdAt: string;
  app: string;
}

// ---------------------------------------------------------------------------------------------
// Settings

export const themeSchema = z.enum(['system', 'light', 'dark']);

/** The first-run wizard's steps, in order; the current one is saved so a restart resumes there. */
export const setupSteps = ['welcome', 'hardware', 'model', 'download', 'first-image', 'done'] as const;
export const setupStepSchema = z.enum(setupSteps);
export type SetupStep = z.infer<typeof setupStepSchema>;

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** Folders a person names must be full paths (/home/me/Pictures, D:\Art, \\server\share): a relative one would depend on where Easel started. */
const absolutePath = z
  .string()
  .min(1)
  .regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, 'must be a full path, such as /home/me/Pictures or C:\\Users\\me\\Pictures');

const settingsFields = {
  galleryDir: absolutePath.nullable(),
  modelsDir: absolutePath.nullable(),
  hubEndpoint: z.url({ protocol: /^https?$/ }),
  hubToken: z.string().max(512),
  preferredProvider: providerChoiceSchema,
  theme: themeSchema,
  setupComplete: z.boolean(),
  lastModelId: z.string().nullable(),
  setupStep: setupStepSchema,
  /** The model chosen in the setup wizard, kept until setup is done. */
  setupModelId: z.string().min(1).nullable(),
};

export const settingsSchema = z.object({
  galleryDir: settingsFields.galleryDir.default(null),
  modelsDir: settingsFields.modelsDir.default(null),
  hubEndpoint: settingsFields.hubEndpoint.default(DEFAULT_HUB_ENDPOINT),
  hubToken: settingsFields.hubToken.default(''),
  preferredProvider: settingsFields.preferredProvider.default('auto'),
  theme: settingsFields.theme.default('system'),
  setupComplete: settingsFields.setupComplete.default(false),
  lastModelId: settingsFields.lastModelId.default(null),
  setupStep: settingsFields.setupStep.default('welcome'),
  setupModelId: settingsFields.setupModelId.default(null),
});
export type Settings = z.output<typeof settingsSchema>;

/** What the renderer sees: the access token never leaves the main process, only whether one is set. */
export type PublicSettings = Omit<Settings, 'hubToken'> & { hubTokenSet: boolean };

/** Only the fields named change; no defaults are filled in, or a patch would reset the rest. */
export const settingsPatchSchema = z
  .object(settingsFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Nothing to change' });
export type SettingsPatch = z.input<typeof settingsPatchSchema>;

// ---------------------------------------------------------------------------------------------
// App

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  arch: string;
  host: 'electron' | 'web';
  paths: { data: string; models: string; gallery: string };
}

// ---------------------------------------------------------------------------------------------
// Models

export const modelFamilies = ['sd15', 'sd21', 'sd-turbo', 'sdxl', 'sdxl-turbo', 'lcm', 'demo'] as const;
export type ModelFamily = (typeof modelFamilies)[number];

/** Where a model is in its life on this machine. */
export type ModelState =
  | 'available'
  | 'downloading'
  | 'paused'
  | 'failed'
  | 'installed'
  | 'partial'
  | 'corrupt'
  | 'missing-files';

export interface DownloadStatus {
  state: 'starting' | 'downloading' | 'paused' | 'failed' | 'done';
  bytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** What a person should know now ("Connection dropped at 1.2 of 2.6 GB — will resume"). */
  message: string;
  error: ErrorInfo | null;
}

export interface ModelSummary {
  id: string;
  name: string;
  description: string;
  family: ModelFamily;
  origin: 'builtin' | 'catalog' | 'imported';
  state: ModelState;
  readOnly: boolean;
  /** Download size for a catalog model not yet here (approximate), else the bytes on disk. */
  sizeBytes: number;
  defaults: { scheduler: SchedulerName; steps: number; guidance: number; width: number; height: number };
  requirements: { minRamGb: number; minVramGb: number } | null;
  licence: { name: string; url: string } | null;
  download: DownloadStatus | null;
}

/** What a download would take, for the question asked before it starts. */
export interface DownloadPlanSummary {
  id: string;
  totalBytes: number;
  remainingBytes: number;
  freeBytes: number;
  folder: string;
  /** The disk the folder is on (its mount point), as people know it: "/home", "D:\\". */
  volume: string;
}

export interface VerifySummary {
  id: string;
  ok: boolean;
  problems: string[];
}

const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/i, 'is not a model id');
const modelRequest = z.object({ id: modelId }).strict();

// ---------------------------------------------------------------------------------------------
// Gallery

export type ParametersSource = 'easel' | 'a1111' | 'comfyui' | 'invokeai' | 'fooocus';

/** One image in the gallery: a PNG in the gallery folder with its parameters embedded. */
export interface GalleryItem {
  /** The file name: stable across index rebuilds. */
  id: string;
  createdAt: string;
  width: number;
  height: number;
  favourite: boolean;
  source: ParametersSource | 'none';
  meta: ImageMetadata;
}

export interface GalleryPage {
  total: number;
  items: GalleryItem[];
}

/** A model the gallery's images were made with, even one no longer installed. */
export interface GalleryModel {
  modelId: string;
  modelName: string;
  count: number;
}

/** Parameters read from a dropped PNG (Easel's own, A1111's, ComfyUI's or InvokeAI's). */
export type ImportedParameters = Partial<GenerationParameters> & { source: ParametersSource };

const galleryId = z
  .string()
  .regex(/^[^/\\]{1,255}\.png$/i, 'is not a gallery image')
  .refine((id) => !id.startsWith('.'), 'is not a gallery image');
const galleryRequest = z.object({ id: galleryId }).strict();
const isoDate = z.iso.datetime({ offset: true });

export const galleryListSchema = z
  .object({
    query: z.string().max(500).optional(),
    modelId: z.string().max(200).optional(),
    favourite: z.boolean().optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .strict();
export type GalleryListRequest = z.input<typeof galleryListSchema>;

// ---------------------------------------------------------------------------------------------
// Jobs: generation requests waiting for, or running on, the GPU (one at a time)

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobProgress {
  /** Which image of the batch (0-based) and how many there are. */
  image: number;
  count: number;
  step: number;
  totalSteps: number;
  elapsedMs: number;
  etaMs: number | null;
  provider: ProviderName;
  /** A small preview of the latents as a PNG data URL, when asked for. */
  preview: string | null;
}

export interface JobSummary {
  id: string;
  state: JobState;
  request: Omit<GenerateRequest, 'initImage'> & { strength: number | null };
  progress: JobProgress | null;
  /** Images saved to the gallery by this job. */
  results: GalleryItem[];
  error: ErrorInfo | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

const jobRequest = z.object({ id: z.string().min(1).max(100) }).strict();

// ---------------------------------------------------------------------------------------------
// Prompts

export interface TokenCount {
  tokens: number;
  /** 75-token chunks the prompt is split into (A1111's way of going past CLIP's 77). */
  chunks: number;
}

// ---------------------------------------------------------------------------------------------
// System: the machine, how each execution provider did in the self-test, and what Easel recommends

export type GpuVendor = 'nvidia' | 'amd' | 'intel' | 'apple' | 'other';

export interface GpuInfo {
  vendor: GpuVendor;
  name: string;
  /** Memory the GPU can use; for unified memory (Apple Silicon) this is the system RAM. */
  vramBytes: number | null;
  driver: string | null;
  /** True when the GPU shares the system RAM instead of having its own (Apple Silicon). */
  unifiedMemory: boolean;
  /**
   * The sources that reported this GPU joined with '+': first the one that gave the memory size,
   * then the one that gave the name, then the rest (e.g. 'nvidia-smi+lspci+sysfs').
   */
  source: string;
  /** PCI vendor:device in lower-case hex, e.g. '10de:2504'. */
  pciId?: string;
  /** PCI address with domain, e.g. '0000:01:00.0'. */
  busId?: string;
}

export interface HardwareReport {
  os: { platform: string; release: string; distro?: string; arch: string };
  cpu: { model: string; physicalCores: number; logicalCores: number; avx2: boolean; avx512: boolean };
  /** `freeBytes` is the memory available to a new program (free plus reclaimable cache). */
  memory: { totalBytes: number; freeBytes: number };
  /** Space on the volume that holds the models folder; null when it could not be read. */
  disk: { path: string; freeBytes: number; totalBytes: number } | null;
  gpus: GpuInfo[];
  /** Each probe (nvidia-smi, lspci, …): whether it answered, how long it took, and why not. */
  probes: Array<{ name: string; ok: boolean; ms: number; error?: string }>;
}

/** How one execution provider did: it made the test image (matching the CPU's) or why not. */
export interface ProviderCheck {
  provider: ProviderName;
  ok: boolean;
  /** Why it cannot be used, in words a person can act on; null when it works. */
  reason: string | null;
  /** ONNX Runtime's own words, for a bug report; null when it works. */
  technicalReason: string | null;
  /** The first image, including loading the model onto the device. */
  firstImageSeconds: number | null;
  /** One image once loaded (text encoder, every step, decoder). */
  secondsPerImage: number | null;
  /** One denoising step (one UNet call, both halves of the guidance batch). */
  secondsPerStep: number | null;
  /** Mean absolute difference from the CPU's image in 0–255 levels; null for the CPU itself or when not compared. */
  differenceFromCpu: number | null;
}

export interface SelfTestReport {
  ranAt: string;
  /** The machine it ran on; a report from another machine is not reused. */
  machine: string;
  /** The model every provider ran, with the request it got. */
  model: {
    dir: string;
    name: string;
    width: number;
    height: number;
    steps: number;
    guidance: number;
    /** Rough multiply-adds of one UNet call on one latent (billions), for scaling the timings to other models. */
    unetGmacs: number;
  } | null;
  /** Why nothing could be tested (no model to test with), else null. */
  skipped: string | null;
  checks: ProviderCheck[];
}

export interface ModelEstimate {
  modelId: string;
  name: string;
  family: ModelFamily;
  width: number;
  height: number;
  steps: number;
  /** Where it would run on this machine; null when it does not fit. */
  provider: ProviderName | null;
  fits: boolean;
  secondsPerImage: number | null;
  /** Why it does not fit, or what to expect ("takes minutes here"); null when there is nothing to add. */
  note: string | null;
  downloadBytes: number;
}

export interface Recommendation {
  provider: ProviderName;
  /** What does the work, in words: "NVIDIA GeForce RTX 3060, 12 GB" or "the CPU (…)". */
  device: string;
  modelId: string;
  width: number;
  height: number;
  steps: number;
  secondsPerImage: number | null;
  /** Images take a minute or more with the recommended model. */
  slow: boolean;
  /** One line: "NVIDIA GeForce RTX 3060, 12 GB: Stable Diffusion 1.5 at 512×512, about 4 s per image". */
  summary: string;
  /** Every catalog model on this machine, the recommended one first. */
  estimates: ModelEstimate[];
}

const forceRequest = z.object({ force: z.boolean().optional() }).strict().optional();

// ---------------------------------------------------------------------------------------------
// Channels: request schema + response type per channel

const noRequest = z.object({}).strict().optional();

export const channelSchemas = {
  'app.info': noRequest,
  'settings.get': noRequest,
  'settings.update': settingsPatchSchema,
  'models.list': noRequest,
  'models.plan': modelRequest,
  'models.download': modelRequest,
  'models.pause': modelRequest,
  'models.cancel': modelRequest,
  'models.remove': modelRequest,
  'models.verify': modelRequest,
  'models.import': z
    .object({ path: absolutePath, mode: z.enum(['copy', 'reference']).default('copy') })
    .strict(),
  'jobs.enqueue': generateRequestSchema,
  'jobs.list': noRequest,
  'jobs.cancel': jobRequest,
  'jobs.remove': jobRequest,
  'gallery.list': galleryListSchema,
  'gallery.models': noRequest,
  'gallery.thumbnail': galleryRequest,
  'gallery.image': galleryRequest,
  'gallery.setFavourite': z.object({ id: galleryId, favourite: z.boolean() }).strict(),
  'gallery.delete': galleryRequest,
  'gallery.undoDelete': galleryRequest,
  'gallery.export': galleryRequest,
  'gallery.openFolder': noRequest,
  'gallery.readParameters': z.object({ data: z.string().min(1).max(60_000_000) }).strict(),
  'prompt.countTokens': z.object({ modelId: modelId, prompt: z.string().max(20_000) }).strict(),
  /** `{ force: true }` looks at the hardware again (hardware) or re-runs the self-test (selfTest, recommendation). */
  'system.hardware': forceRequest,
  'system.selfTest': forceRequest,
  'system.recommendation': forceRequest,
} as const;

export interface ChannelResponses {
  'app.info': AppInfo;
  'settings.get': PublicSettings;
  'settings.update': PublicSettings;
  'models.list': ModelSummary[];
  'models.plan': DownloadPlanSummary;
  'models.download': ModelSummary;
  'models.pause': ModelSummary;
  'models.cancel': ModelSummary;
  'models.remove': ModelSummary | null;
  'models.verify': VerifySummary;
  'models.import': ModelSummary;
  'jobs.enqueue': JobSummary;
  'jobs.list': JobSummary[];
  'jobs.cancel': JobSummary;
  'jobs.remove': { id: string };
  'gallery.list': GalleryPage;
  'gallery.models': GalleryModel[];
  /** Images travel as data URLs so both hosts carry them the same way. */
  'gallery.thumbnail': { id: string; dataUrl: string };
  'gallery.image': { id: string; dataUrl: string };
  'gallery.setFavourite': GalleryItem;
  'gallery.delete': { id: string };
  'gallery.undoDelete': GalleryItem;
  /** Electron asks where to save; the web host cannot, so the page downloads `gallery.image` itself. */
  'gallery.export': { saved: boolean; path: string | null };
  'gallery.openFolder': { path: string; opened: boolean };
  'gallery.readParameters': ImportedParameters;
  'prompt.countTokens': TokenCount;
  'system.hardware': { report: HardwareReport; summary: string[] };
  'system.selfTest': SelfTestReport;
  'system.recommendation': Recommendation;
}

export type Channel = keyof typeof channelSchemas;
export const channels = Object.keys(channelSchemas) as Channel[];
export type RequestOf<C extends Channel> = z.input<(typeof channelSchemas)[C]>;
export type ParsedRequestOf<C extends Channel> = z.output<(typeof channelSchemas)[C]>;
export type ResponseOf<C extends Channel> = ChannelResponses[C];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.hasOwn(channelSchemas, name);
}

// ---------------------------------------------------------------------------------------------
// Events: pushed from the core to every window

export interface EventPayloads {
  'settings.changed': PublicSettings;
  'models.changed': ModelSummary;
  'jobs.changed': JobSummary;
  /** A queued job was taken off the queue (by any window). */
  'jobs.removed': { id: string };
  /** Images appeared or went (a job finished, a file was added or removed by hand, a delete). */
  'gallery.changed': { added: GalleryItem[]; removed: string[] };
}
export type EventName = keyof EventPayloads;

/** The one Electron IPC channel that carries every event, as (name, payload). */
export const ELECTRON_EVENT_CHANNEL = 'easel:event';
export const eventNames: readonly EventName[] = ['settings.changed', 'models.changed', 'jobs.changed', 'jobs.removed', 'gallery.changed'];

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (eventNames as readonly string[]).includes(name);
}

// ---------------------------------------------------------------------------------------------
// The API object the renderer sees as `window.easel`, built from the two primitives a host offers.

type Unsubscribe = () => void;

/** `'settings.update'` → `easel.settings.update(request)`: a task-named method per channel. */
type Namespaces<C extends string> = C extends `${infer N}.${string}` ? N : never;
type MethodsOf<N extends string> = {
  [C in Channel as C extends `${N}.${infer M}` ? M : never]: undefined extends RequestOf<C>
    ? (request?: RequestOf<C>) => Promise<Result<ResponseOf<C>>>
    : (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
};

export type EaselApi = { [N in Namespaces<Channel>]: MethodsOf<N> } & {
  /** Subscribe to an event; the returned function unsubscribes. */
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): Unsubscribe;
};

export interface Transport {
  invoke(channel: Channel, request: unknown): Promise<Result<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): Unsubscribe;
}

export function createEaselApi(transport: Transport): EaselApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const channel of channels) {
    const [namespace, method] = channel.split('.') as [string, string];
    api[namespace] ??= {};
    api[namespace][method] = (request?: unknown) => transport.invoke(channel, request ?? {});
  }
  const subscribe = (event: EventName, listener: (payload: unknown) => void) => transport.subscribe(event, listener);
  return Object.assign(api, { subscribe }) as unknown as EaselApi;
}
