// Model states interned to small integers, so the search and its cache compare ints. A model
// interns by key, or by hash + equals where a key would be costly to build.
import { IntMap } from './int-map.js';
import type { Model } from './model.js';

export class StateInterner<S = unknown> {
  readonly states: S[] = [];
  private ids = new Map<number | string, number>();
  // hash → newest state id with that hash; chain[id] → the next older one (or -1); made only for
  // models that intern by hash (a check makes an interner per part and per evidence search)
  private byHash: IntMap | undefined;
  private chain = new Int32Array(0);

  constructor(private readonly model: Pick<Model<S>, 'key' | 'hash' | 'equals'>) {}

  get size(): number {
    return this.states.length;
  }

  intern(s: S): number {
    const m = this.model;
    if (m.hash && m.equals) {
      const h = m.hash(s) >>> 0;
      this.byHash ??= new IntMap(1024);
      const head = this.byHash.get(h, -1);
      for (let j = head; j !== -1; j = this.chain[j]) if (m.equals(this.states[j], s)) return j;
      const id = this.states.length;
      if (id === this.chain.length) {
        const grown = new Int32Array(Math.max(1024, id * 2));
        grown.set(this.chain);
        this.chain = grown;
      }
      this.chain[id] = head;
      this.byHash.set(h, id);
      this.states.push(s);
      return id;
    }
    const k = m.key(s);
    const known = this.ids.get(k);
    if (known !== undefined) return known;
    const id = this.states.length;
    this.ids.set(k, id);
    this.states.push(s);
    return id;
  }
}
