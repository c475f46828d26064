import type { Readable } from 'node:stream';
import type {
  Channel,
  FolderKind,
  ParsedRequestOf,
  ParsedUploadRequestOf,
  ResponseOf,
  UploadChannel,
  UploadChannelResponses,
} from '../../src-preload/api';
import type { Easel } from '../core/easel';
import { EaselError } from '../core/errors';
import { toPublicSettings } from '../core/settings/settings-store';

export type HandlerTable = {
  [C in Channel]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>>;
};

/** Upload channels take their body as a stream, which only the web host has (Electron sends a path instead). */
export type UploadHandlerTable = {
  [C in UploadChannel]: (request: ParsedUploadRequestOf<C>, body: Readable) => Promise<UploadChannelResponses[C]>;
};

/** What only a desktop host can do: native dialogs and the file manager. */
export interface HostServices {
  /** Opens a folder in the system's file manager; false where the host cannot. */
  openFolder(folder: string): Promise<boolean>;
  /** Shows the system's folder dialog; null when the person cancelled. Absent where no dialog exists (a browser). */
  chooseFolder?(which: FolderKind): Promise<string | null>;
  /** Asks where to save a file and writes it there; null when the person cancelled or the host cannot ask. */
  saveFile(suggestedName: string, bytes: Buffer): Promise<string | null>;
}

/** The web host runs in a browser tab: the page downloads files itself, and no folder can be opened. */
export const browserHostServices: HostServices = {
  openFolder: async () => false,
  saveFile: async () => null,
};

/** One handler per contract channel; both hosts serve exactly this table. */
export function createHandlers(easel: Easel, host: HostServices = browserHostServices): HandlerTable {
  return {
    'app.info': () => easel.info(),
    'settings.get': async () => toPublicSettings(await easel.settings.get()),
    'settings.update': async (patch) => toPublicSettings(await easel.settings.update(patch)),
    'settings.chooseFolder': async ({ which, path, confirmed }) => {
      if (host.chooseFolder) {
        // The desktop window never names the folder: main asks the person.
        const chosen = await host.chooseFolder(which);
        const settings = chosen === null ? await easel.settings.get() : await easel.useFolder(which, chosen, 'dialog');
        return { chosen: chosen !== null, settings: toPublicSettings(settings) };
      }
      if (path === undefined || confirmed !== true) {
        throw new EaselError('invalid_request', 'Name the folder and confirm the change in Settings.');
      }
      return { chosen: true, settings: toPublicSettings(await easel.useFolder(which, path, 'page')) };
    },
    'models.list': () => easel.models.list(),
    'models.plan': ({ id }) => easel.models.plan(id),
    'models.download': ({ id }) => easel.models.download(id),
    'models.pause': ({ id }) => easel.models.pause(id),
    'models.cancel': ({ id }) => easel.models.cancel(id),
    'models.remove': ({ id }) => easel.models.remove(id),
    'models.verify': ({ id }) => easel.models.verify(id),
    'models.import': ({ path, mode, name, importId }) =>
      /\.safetensors$/i.test(path)
        ? easel.importCheckpoint(path, { ...(name === undefined ? {} : { name }), ...(importId === undefined ? {} : { importId }) })
        : easel.models.importFolder(path, mode),
    'models.cancelImport': async ({ importId }) => ({ cancelled: easel.checkpoints.cancel(importId) }),
    'jobs.enqueue': (request) => easel.generate(request),
    'jobs.list': async () => easel.jobs.list(),
    'jobs.cancel': async ({ id }) => easel.jobs.cancel(id),
    'jobs.remove': async ({ id }) => easel.jobs.remove(id),
    'upscale.enqueue': (request) => easel.upscale(request),
    'gallery.list': (request) => easel.gallery.list(request),
    'gallery.models': () => easel.gallery.models(),
    'gallery.thumbnail': ({ id }) => easel.gallery.thumbnail(id),
    'gallery.image': ({ id }) => easel.gallery.image(id),
    'gallery.setFavourite': ({ id, favourite }) => easel.gallery.setFavourite(id, favourite),
    'gallery.delete': ({ id }) => easel.gallery.delete(id),
    'gallery.undoDelete': ({ id }) => easel.gallery.undoDelete(id),
    'gallery.export': async ({ id }) => {
      const { bytes } = await easel.gallery.file(id);
      const saved = await host.saveFile(id, bytes);
      return { saved: saved !== null, path: saved };
    },
    'gallery.openFolder': async () => {
      const folder = await easel.galleryFolderToOpen();
      return { path: folder, opened: await host.openFolder(folder) };
    },
    'gallery.readParameters': ({ data }) => easel.readParameters(data),
    'prompt.countTokens': ({ modelId, prompt }) => easel.countTokens(modelId, prompt),
    'adapters.list': () => easel.adapters.list(),
    'adapters.import': ({ fileName, data, kind }) => easel.adapters.importUpload(fileName, Buffer.from(data.replace(/^data:[^,]*,/, ''), 'base64'), kind),
    'adapters.remove': ({ kind, name }) => easel.adapters.remove(kind, name),
    'system.hardware': (request) => easel.system.hardware(request?.force),
    'system.selfTest': (request) => easel.system.selfTest(request?.force),
    'system.recommendation': (request) => easel.system.recommendation(request?.force),
  };
}

export function createUploadHandlers(easel: Easel): UploadHandlerTable {
  return {
    'models.importCheckpoint': ({ importId, fileName, size, name }, body) =>
      easel.importUploadedCheckpoint(body, { importId, fileName, size, ...(name === undefined ? {} : { name }) }),
  };
}
