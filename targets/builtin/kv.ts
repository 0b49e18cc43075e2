// Key-value views for the state machine: a plain map, and a staging view that collects an op's
// writes over a base so a mode can commit them as one (persist, version, replicate) or drop them.
import type { KvView } from './state-machine.js';

/** A readable base: what StagedKv reads through to. */
export interface KvSource {
  get(storeKey: string): unknown;
  keys(): Iterable<string>;
}

export class MemoryKv implements KvView {
  readonly map = new Map<string, unknown>();
  constructor(readonly node?: string) {}
  get(k: string): unknown {
    return this.map.get(k);
  }
  set(k: string, v: unknown): void {
    this.map.set(k, v);
  }
  keys(): Iterable<string> {
    return this.map.keys();
  }
}

export class StagedKv implements KvView {
  /** The op's writes, last value per key, in first-write order. */
  readonly writes = new Map<string, unknown>();
  constructor(
    private readonly base: KvSource,
    readonly node?: string,
  ) {}
  get(k: string): unknown {
    return this.writes.has(k) ? this.writes.get(k) : this.base.get(k);
  }
  set(k: string, v: unknown): void {
    this.writes.set(k, v);
  }
  *keys(): Iterable<string> {
    for (const k of this.base.keys()) yield k;
    for (const k of this.writes.keys()) if (this.base.get(k) === undefined) yield k;
  }
  /** The writes as [key, value] pairs. */
  entries(): [string, unknown][] {
    return [...this.writes];
  }
}
