/** A bounded map that forgets the least recently used entry first. */
export class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Re-inserting moves the key to the end: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * Images by gallery id, each fetched once however many components ask at the same time, and kept in an
 * LRU so scrolling back is instant while memory stays bounded.
 */
export class ImageLoader {
  private readonly cache: LruCache<string>;
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    capacity: number,
    private readonly fetchDataUrl: (id: string) => Promise<string>,
  ) {
    this.cache = new LruCache(capacity);
  }

  cached(id: string): string | undefined {
    return this.cache.get(id);
  }

  load(id: string): Promise<string> {
    const hit = this.cache.get(id);
    if (hit !== undefined) return Promise.resolve(hit);
    let request = this.pending.get(id);
    if (!request) {
      request = this.fetchDataUrl(id)
        .then((dataUrl) => {
          this.cache.set(id, dataUrl);
          return dataUrl;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, request);
    }
    return request;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }
}
