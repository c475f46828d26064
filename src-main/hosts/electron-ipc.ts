import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { channels, ELECTRON_EVENT_CHANNEL, type EventName, type Result } from '../../src-preload/api';
import type { EventBus } from '../core/events';
import type { Dispatch } from './dispatch';

/** Renderer pages are served from this origin only (see main.ts's protocol handler). */
export const APP_ORIGIN = 'app://easel';

/** Only our own page, in its main frame, may call the core. */
export function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  try {
    return new URL(frame.url).origin === APP_ORIGIN;
  } catch {
    return false;
  }
}

/**
 * Registers one handler per contract channel through a single wrapper: the sender is checked, then
 * the dispatcher validates the payload against the channel's schema before the core sees it.
 */
export function installIpc(ipcMain: IpcMain, dispatch: Dispatch): void {
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, request: unknown): Promise<Result<unknown>> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'forbidden', message: 'Only Easel’s own window may call Easel.' } };
      }
      return dispatch(channel, request);
    });
  }
}

/** Forwards core events to a window; returns the function that stops forwarding. */
export function forwardEvents(events: EventBus, contents: WebContents): () => void {
  return events.subscribe((event: EventName, payload) => {
    if (!contents.isDestroyed()) contents.send(ELECTRON_EVENT_CHANNEL, event, payload);
  });
}
