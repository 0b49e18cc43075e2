// Vector clocks over interned actor ids.
//
// An actor is whoever creates events (a node incarnation in the built-in store). Names are
// interned per process into small integer ids, and a clock is a Uint32Array indexed by actor id
// (entries past its end are 0). Why a dense typed array rather than a map: a cluster has a handful
// of actors (its nodes, plus one more per restart), so the arrays stay a few entries long, and
// compare/merge become tight integer loops with no hashing or string comparison on the hot path
// (every write and every replica merge). Names only appear at the edges: the JSON encoding names
// each actor, because ids are private to a process.
//
// Clocks are values: every function here returns a new clock and never changes its arguments.

export type VectorClock = Uint32Array;

export type Order = 'before' | 'after' | 'equal' | 'concurrent';

/** The JSON form: actor name → counter, zeros left out, names sorted. */
export type VectorClockJson = Record<string, number>;

const MAX_COUNTER = 0xffffffff;

const names: string[] = [];
const ids = new Map<string, number>();

/** The process-wide id of an actor name (assigned on first use). */
export function actorId(name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    names.push(name);
    ids.set(name, id);
  }
  return id;
}

export function actorName(id: number): string {
  const name = names[id];
  if (name === undefined) throw new Error(`vector clock: unknown actor id ${id}`);
  return name;
}

/** Orders actor ids by their names: the order every encoding and tie-break uses, the same on every node. */
export function compareActors(a: number, b: number): number {
  if (a === b) return 0;
  const x = actorName(a);
  const y = actorName(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const EMPTY: VectorClock = new Uint32Array(0);

export function emptyClock(): VectorClock {
  return EMPTY;
}

export function get(clock: VectorClock, actor: number): number {
  return actor < clock.length ? clock[actor] : 0;
}

/** The clock with `actor`'s counter set to `counter` (which must not lower it). */
export function withCounter(clock: VectorClock, actor: number, counter: number): VectorClock {
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) throw new Error(`vector clock: counter ${counter} out of range`);
  const out = new Uint32Array(Math.max(clock.length, actor + 1));
  out.set(clock);
  out[actor] = counter;
  return out;
}

/** The clock after one more event at `actor`. */
export function increment(clock: VectorClock, actor: number): VectorClock {
  return withCounter(clock, actor, get(clock, actor) + 1);
}

/** The least clock that both dominate or equal: the entry-wise maximum. */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const out = new Uint32Array(long);
  for (let i = 0; i < short.length; i++) if (short[i] > out[i]) out[i] = short[i];
  return out;
}

/** How `a` relates to `b` in the happened-before order. */
export function compare(a: VectorClock, b: VectorClock): Order {
  let less = false;
  let greater = false;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = i < a.length ? a[i] : 0;
    const y = i < b.length ? b[i] : 0;
    if (x < y) less = true;
    else if (x > y) greater = true;
  }
  if (less) return greater ? 'concurrent' : 'before';
  return greater ? 'after' : 'equal';
}

/** True when `a` is at or after `b` in every entry. */
export function dominates(a: VectorClock, b: VectorClock): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] > (i < a.length ? a[i] : 0)) return false;
  return true;
}

export function equals(a: VectorClock, b: VectorClock): boolean {
  return compare(a, b) === 'equal';
}

export function toJson(clock: VectorClock): VectorClockJson {
  const entries: number[] = [];
  for (let i = 0; i < clock.length; i++) if (clock[i] !== 0) entries.push(i);
  entries.sort(compareActors);
  const out: VectorClockJson = {};
  for (const i of entries) out[actorName(i)] = clock[i];
  return out;
}

/** Reads a clock from its JSON form; `where` names the value in the error. */
export function fromJson(json: unknown, where: string): VectorClock {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${where}: a vector clock must be an object of actor → counter, got ${typeof json}`);
  let clock = EMPTY;
  for (const [name, counter] of Object.entries(json as Record<string, unknown>)) {
    if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
      throw new Error(`${where}: counter of actor ${JSON.stringify(name)} must be a non-negative 32-bit integer, got ${JSON.stringify(counter)}`);
    }
    if (counter > 0) clock = withCounter(clock, actorId(name), counter);
  }
  return clock;
}

/** A readable form for logs and test messages, e.g. `{n1:3, n2:1}`. */
export function show(clock: VectorClock): string {
  const j = toJson(clock);
  return `{${Object.keys(j)
    .map((k) => `${k}:${j[k]}`)
    .join(', ')}}`;
}
