// A least-recently-used cache bounded by the bytes of what it holds (the compositor keeps a canvas per tile in it).

export class ByteLru<V> {
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private total = 0;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, without making it recent. */
  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** The value, made the most recent. */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /**
   * Stores a value as the most recent, then drops the least recent others until the bytes fit again (the value
   * just stored always stays).
   */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxBytes || k === key) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.total -= e.bytes;
  }

  /** Drops every entry whose value matches. */
  deleteWhere(match: (value: V) => boolean): void {
    for (const [k, e] of this.entries) if (match(e.value)) this.delete(k);
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }
}
