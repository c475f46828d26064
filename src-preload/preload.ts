import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createEaselApi, ELECTRON_EVENT_CHANNEL, isChannel, isEventName, type EventName } from './api';

/**
 * Exposes `window.easel`: task-named methods built from the contract, and subscribe functions that
 * return an unsubscribe. The page never sees ipcRenderer or an IPC event object.
 */
const api = createEaselApi({
  invoke: async (channel, request) => {
    if (!isChannel(channel)) {
      return { ok: false, error: { code: 'unknown_channel', message: `Easel has no channel called ${String(channel)}.` } };
    }
    return ipcRenderer.invoke(channel, request);
  },
  // A desktop window's dropped or chosen file has a path: the core converts it where it lies, with no copy.
  upload: async (channel, request, file) => {
    let filePath = '';
    try {
      filePath = webUtils.getPathForFile(file as File);
    } catch {
      // Not a File from this computer (a Blob the page made): there is no path to give.
    }
    if (channel !== 'models.importCheckpoint' || filePath === '') {
      return { ok: false, error: { code: 'invalid_request', message: 'Only a file from this computer can be imported.' } };
    }
    const { importId, name } = request as { importId?: unknown; name?: unknown };
    return ipcRenderer.invoke('models.import', { path: filePath, importId, ...(name === undefined ? {} : { name }) });
  },
  subscribe: (event: EventName, listener) => {
    const relay = (_ipcEvent: unknown, name: unknown, payload: unknown) => {
      if (isEventName(name) && name === event) listener(payload);
    };
    ipcRenderer.on(ELECTRON_EVENT_CHANNEL, relay);
    return () => {
      ipcRenderer.removeListener(ELECTRON_EVENT_CHANNEL, relay);
    };
  },
});

contextBridge.exposeInMainWorld('easel', api);
