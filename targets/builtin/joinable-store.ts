// A node's key → state map for modes whose states join (crdt, multi-leader-vv), with the stable
// JSON encodings anti-entropy hashes and ships. Encodings are made lazily and cached: a key
// written a thousand times between two anti-entropy rounds is encoded once.
import { canonicalJson } from '../../base/json.js';
import type { JoinableReplica } from './anti-entropy.js';

export interface Codec<S> {
  encode(key: string, state: S): unknown;
  /** Reads `key`'s encoded state; throws, naming `where`, when it is malformed. */
  decode(key: string, json: unknown, where: string): S;
  join(a: S, b: S): S;
}

interface Encoded {
  json: unknown;
  text: string;
}

export class JoinableStore<S> implements JoinableReplica {
  private readonly states = new Map<string, S>();
  private readonly encoded = new Map<string, Encoded>();
  private changes = 0;

  constructor(private readonly codec: Codec<S>) {}

  get(key: string): S | undefined {
    return this.states.get(key);
  }

  /** Replaces a key's state (after a local update); `state` may be the same object, changed in place. */
  set(key: string, state: S): void {
    this.states.set(key, state);
    this.encoded.delete(key);
    this.changes++;
  }

  keys(): IterableIterator<string> {
    return this.states.keys();
  }

  get size(): number {
    return this.states.size;
  }

  version(): number {
    return this.changes;
  }

  private encodingOf(key: string): Encoded | undefined {
    let e = this.encoded.get(key);
    if (e === undefined) {
      const s = this.states.get(key);
      if (s === undefined) return undefined;
      const json = this.codec.encode(key, s);
      e = { json, text: canonicalJson(json) };
      this.encoded.set(key, e);
    }
    return e;
  }

  encodedState(key: string): unknown {
    return this.encodingOf(key)?.json;
  }

  *encodedStates(): Iterable<[string, unknown]> {
    for (const k of this.states.keys()) yield [k, this.encodingOf(k)!.json];
  }

  /** Joins a peer's encoded state of `key` into ours; says whether ours changed. */
  joinEncoded(key: string, json: unknown): boolean {
    const mine = this.encodingOf(key);
    if (mine !== undefined && mine.text === canonicalJson(json)) return false;
    const theirs = this.codec.decode(key, json, `state of key ${key}`);
    const current = this.states.get(key);
    const joined = current === undefined ? theirs : this.codec.join(current, theirs);
    this.states.set(key, joined);
    this.encoded.delete(key);
    const after = this.encodingOf(key)!;
    if (mine !== undefined && after.text === mine.text) return false;
    this.changes++;
    return true;
  }
}
