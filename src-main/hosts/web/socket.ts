import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventBus } from '../../core/events';
import { parseRequestTarget, type WebAuth } from './auth';

/** The page never needs to send more than a small message; ws closes with 1009 past this. */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;

export interface EventSocket {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * `/api/events`: core events pushed to every authenticated page. Whatever a client sends is ignored;
 * a frame that is too large or not UTF-8 text ends that one socket with ws's close code (1009, 1007),
 * and a broken connection ends only itself.
 */
export function createEventSocket(events: EventBus, auth: WebAuth, log?: (line: string) => void): EventSocket {
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES });
  const unsubscribe = events.subscribe((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const ws of sockets) ws.send(message);
  });

  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', (error) => log?.(`web host socket: ${error.message}`));
      const url = parseRequestTarget(req.url);
      if (!url) return refuse(socket, 400, 'Bad Request');
      if (!auth.originAllowed(req)) return refuse(socket, 403, 'Forbidden');
      if (!auth.tokenPresented(req, url)) return refuse(socket, 401, 'Unauthorized');
      if (url.pathname !== '/api/events') return refuse(socket, 404, 'Not Found');
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('error', (error) => log?.(`web host socket closed: ${error.message}`));
        ws.on('close', () => sockets.delete(ws));
      });
    },
    close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
}
