import { contextBridge, ipcRenderer } from 'electron';
import { createEaselApi, isChannel, isEventName, type EventName } from './api';

const EVENT_CHANNEL = 'easel:event';

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
    ipcRenderer.on(EVENT_CHANNEL, relay);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, relay);
    };
  },
});

contextBridge.exposeInMainWorld('easel', api);
