import type { EventName, EventPayloads } from '../../src-preload/api';

export type EventListener = <E extends EventName>(event: E, payload: EventPayloads[E]) => void;

/** Events the core pushes to every connected window, whichever host carries them. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    for (const listener of this.listeners) listener(event, payload);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
