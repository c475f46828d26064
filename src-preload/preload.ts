import { contextBridge, ipcRenderer } from 'electron';
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
