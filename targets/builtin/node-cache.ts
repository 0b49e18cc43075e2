// The cache of one node of the cache mode (modes/cache.ts): store keys → the raw values the store
// held, each with the log position it was read at and, under TTL, when it expires. It also keeps
// what decides whether a fill may be installed: per key, the position of the last change this
// node has seen (event-driven), and how many invalidations have arrived (to count the fills the
// naive strategies install although an invalidation overtook them: the stale entries they leave).

export const INVALIDATIONS = ['write-through', 'ttl', 'event-driven'] as const;
export type Invalidation = (typeof INVALIDATIONS)[number];

interface Entry {
  value: unknown;
  version: number;
  /** ms (Date.now()); Infinity without a TTL. */
  expires: number;
}

/** Where a fill began: what the cache knew of its key then. */
export interface FillTicket {
  key: string;
  invalidations: number;
}

export class NodeCache {
  private readonly entries = new Map<string, Entry>();
  /** Per key: the log position of the last change to it this node applied (event-driven). */
  private readonly changedAt = new Map<string, number>();
  /** Per key: invalidations received so far. */
  private readonly invalidations = new Map<string, number>();
  /** Fills read below this position are refused (after a snapshot or a restart: changes not seen one by one). */
  private floor: number;
  hits = 0;
  misses = 0;
  staleFills = 0;
  rejectedFills = 0;

  constructor(
    readonly strategy: Invalidation,
    private readonly ttlMs: number,
    startPosition: number,
  ) {
    this.floor = startPosition;
  }

  /** The cached raw value, or undefined on a miss (counted either way). */
  lookup(key: string, now: number): { value: unknown } | undefined {
    const e = this.entries.get(key);
    if (e !== undefined && e.expires > now) {
      this.hits++;
      return { value: e.value };
    }
    if (e !== undefined) this.entries.delete(key);
    this.misses++;
    return undefined;
  }

  beginFill(key: string): FillTicket {
    return { key, invalidations: this.invalidations.get(key) ?? 0 };
  }

  /**
   * Installs what a fill read at `version`, as the strategy does. The naive ones install it
   * whatever happened meanwhile (and count it when an invalidation overtook it: that entry is
   * stale until the key is written again, or its TTL ends); event-driven installs it only when no
   * change newer than `version` has been applied here.
   */
  finishFill(t: FillTicket, value: unknown, version: number, now: number): void {
    if (this.strategy === 'event-driven') {
      if (version < this.floor || version < (this.changedAt.get(t.key) ?? -Infinity)) {
        this.rejectedFills++;
        return;
      }
    } else if ((this.invalidations.get(t.key) ?? 0) !== t.invalidations) this.staleFills++;
    this.entries.set(t.key, { value, version, expires: this.strategy === 'ttl' ? now + this.ttlMs : Infinity });
  }

  /**
   * The writer's own entry after its write (write-through, TTL): `update` gives the key's new raw
   * value from the old. The entry keeps its expiry: a TTL counts from the fill, so an entry updated
   * on top of a stale value still ends.
   */
  writeThrough(key: string, update: (old: unknown) => unknown, now: number): void {
    const e = this.entries.get(key);
    if (e === undefined || e.expires <= now) return;
    this.entries.set(key, { ...e, value: update(e.value) });
  }

  /** Drops a key (an invalidation message, or a change applied here). */
  invalidate(key: string, position?: number): void {
    this.entries.delete(key);
    this.invalidations.set(key, (this.invalidations.get(key) ?? 0) + 1);
    if (position !== undefined && position > (this.changedAt.get(key) ?? -Infinity)) this.changedAt.set(key, position);
  }

  /** Drops everything (a snapshot replaced the state at `position`). */
  clear(position: number): void {
    this.entries.clear();
    this.floor = Math.max(this.floor, position);
  }

  get size(): number {
    return this.entries.size;
  }
}
