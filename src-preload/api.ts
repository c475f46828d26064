/**
 * THE contract between the renderer and the hosts (Electron IPC and the web host).
 *
 * Every channel is named here with a runtime schema for its request; the hosts validate each request
 * against it before the core sees it. Responses and events are typed here too. The schemas and types
 * live by domain in ./contract/ and are re-exported here, so everything imports the contract from this
 * one file. The contract must stay environment-neutral: no Node, no DOM, no Electron, so the preload,
 * the renderer and the core can all import it.
 */
import type { z } from 'zod';
import { importAdapterRequest, removeAdapterRequest, type AdapterList, type AdapterSummary } from './contract/adapters';
import { noRequest, type Result } from './contract/common';
import { galleryListSchema, galleryRequest, readParametersRequest, setFavouriteRequest } from './contract/gallery';
import type { GalleryItem, GalleryModel, GalleryPage, ImportedParameters } from './contract/gallery';
import { countTokensRequest, generateRequestSchema, type TokenCount } from './contract/generate';
import { jobRequest, type JobSummary } from './contract/jobs';
import { cancelImportRequest, importModelRequest, modelRequest, uploadCheckpointRequest } from './contract/models';
import type { DownloadPlanSummary, ImportProgress, ModelSummary, VerifySummary } from './contract/models';
import { upscaleRequestSchema } from './contract/upscale';
import { chooseFolderRequest, settingsPatchSchema, type PublicSettings } from './contract/settings';
import { forceRequest, type AppInfo, type HardwareReport, type Recommendation, type SelfTestReport } from './contract/system';

export * from './contract/adapters';
export * from './contract/common';
export * from './contract/gallery';
export * from './contract/generate';
export * from './contract/jobs';
export * from './contract/models';
export * from './contract/settings';
export * from './contract/system';
export * from './contract/upscale';

// ---------------------------------------------------------------------------------------------
// Channels: request schema + response type per channel

export const channelSchemas = {
  'app.info': noRequest,
  'settings.get': noRequest,
  'settings.update': settingsPatchSchema,
  'settings.chooseFolder': chooseFolderRequest,
  'models.list': noRequest,
  'models.plan': modelRequest,
  'models.download': modelRequest,
  'models.pause': modelRequest,
  'models.cancel': modelRequest,
  'models.remove': modelRequest,
  'models.verify': modelRequest,
  'models.import': importModelRequest,
  'models.cancelImport': cancelImportRequest,
  'jobs.enqueue': generateRequestSchema,
  'jobs.list': noRequest,
  'jobs.cancel': jobRequest,
  'jobs.remove': jobRequest,
  /** Enlarges a gallery image as a queued job; the result is saved to the gallery next to it. */
  'upscale.enqueue': upscaleRequestSchema,
  'gallery.list': galleryListSchema,
  'gallery.models': noRequest,
  'gallery.thumbnail': galleryRequest,
  'gallery.image': galleryRequest,
  'gallery.setFavourite': setFavouriteRequest,
  'gallery.delete': galleryRequest,
  'gallery.undoDelete': galleryRequest,
  'gallery.export': galleryRequest,
  'gallery.openFolder': noRequest,
  'gallery.readParameters': readParametersRequest,
  'prompt.countTokens': countTokensRequest,
  'adapters.list': noRequest,
  'adapters.import': importAdapterRequest,
  'adapters.remove': removeAdapterRequest,
  /** `{ force: true }` looks at the hardware again (hardware) or re-runs the self-test (selfTest, recommendation). */
  'system.hardware': forceRequest,
  'system.selfTest': forceRequest,
  'system.recommendation': forceRequest,
} as const;

export interface ChannelResponses {
  'app.info': AppInfo;
  'settings.get': PublicSettings;
  'settings.update': PublicSettings;
  /** `chosen` is false when the person cancelled the dialog. */
  'settings.chooseFolder': { chosen: boolean; settings: PublicSettings };
  'models.list': ModelSummary[];
  'models.plan': DownloadPlanSummary;
  'models.download': ModelSummary;
  'models.pause': ModelSummary;
  'models.cancel': ModelSummary;
  'models.remove': ModelSummary | null;
  'models.verify': VerifySummary;
  'models.import': ModelSummary;
  /** `cancelled` is false when no import of that id is under way (it had finished or failed). */
  'models.cancelImport': { cancelled: boolean };
  'jobs.enqueue': JobSummary;
  'jobs.list': JobSummary[];
  'jobs.cancel': JobSummary;
  'jobs.remove': { id: string };
  'upscale.enqueue': JobSummary;
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
  'adapters.list': AdapterList;
  'adapters.import': AdapterSummary;
  'adapters.remove': { kind: AdapterSummary['kind']; name: string };
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
// Upload channels: a request (validated like any other) plus a file as the body, for what a page holds as a
// File rather than a path. Electron's preload sends the file's path instead; the web host streams the bytes.

export const uploadChannelSchemas = {
  'models.importCheckpoint': uploadCheckpointRequest,
} as const;

export interface UploadChannelResponses {
  'models.importCheckpoint': ModelSummary;
}

export type UploadChannel = keyof typeof uploadChannelSchemas;
export type UploadRequestOf<C extends UploadChannel> = z.input<(typeof uploadChannelSchemas)[C]>;
export type ParsedUploadRequestOf<C extends UploadChannel> = z.output<(typeof uploadChannelSchemas)[C]>;
export const uploadChannels = Object.keys(uploadChannelSchemas) as UploadChannel[];

export function isUploadChannel(name: unknown): name is UploadChannel {
  return typeof name === 'string' && Object.hasOwn(uploadChannelSchemas, name);
}

// ---------------------------------------------------------------------------------------------
// Events: pushed from the core to every window

export interface EventPayloads {
  'settings.changed': PublicSettings;
  'models.changed': ModelSummary;
  /** A checkpoint import moved on (a stage began, or more of an upload arrived); its end is the call's answer. */
  'models.importProgress': ImportProgress;
  'jobs.changed': JobSummary;
  /** A queued job was taken off the queue (by any window). */
  'jobs.removed': { id: string };
  /** Images appeared or went (a job finished, a file was added or removed by hand, a delete). */
  'gallery.changed': { added: GalleryItem[]; removed: string[] };
}
export type EventName = keyof EventPayloads;

/** The one Electron IPC channel that carries every event, as (name, payload). */
export const ELECTRON_EVENT_CHANNEL = 'easel:event';
export const eventNames: readonly EventName[] = [
  'settings.changed',
  'models.changed',
  'models.importProgress',
  'jobs.changed',
  'jobs.removed',
  'gallery.changed',
];

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
} & {
  [C in UploadChannel as C extends `${N}.${infer M}` ? M : never]: (
    request: UploadRequestOf<C>,
    file: Blob,
  ) => Promise<Result<UploadChannelResponses[C]>>;
};

export type EaselApi = { [N in Namespaces<Channel>]: MethodsOf<N> } & {
  /** Subscribe to an event; the returned function unsubscribes. */
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): Unsubscribe;
};

export interface Transport {
  invoke(channel: Channel, request: unknown): Promise<Result<unknown>>;
  upload(channel: UploadChannel, request: unknown, file: Blob): Promise<Result<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): Unsubscribe;
}

export function createEaselApi(transport: Transport): EaselApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const channel of channels) {
    const [namespace, method] = channel.split('.') as [string, string];
    api[namespace] ??= {};
    api[namespace][method] = (request?: unknown) => transport.invoke(channel, request ?? {});
  }
  for (const channel of uploadChannels) {
    const [namespace, method] = channel.split('.') as [string, string];
    api[namespace] ??= {};
    api[namespace][method] = (request: unknown, file: Blob) => transport.upload(channel, request, file);
  }
  const subscribe = (event: EventName, listener: (payload: unknown) => void) => transport.subscribe(event, listener);
  return Object.assign(api, { subscribe }) as unknown as EaselApi;
}
