// The built-in models. Each says which ops it takes and its default initial state (--init
// overrides it). Ops are invocations; `done` is the ok completion, or undefined when the outcome
// is unknown (info or never completed), in which case the op may have happened with any result.
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { StateInterner } from './interner.js';
import { INCONSISTENT, type Model, type ModelSpec } from './model.js';
import { markRegister } from './refute.js';
import { canonicalJson, sameValue, show, valueKey } from './values.js';
import { initOf, isFiniteNumber, isPair, isScalar, wrongResult, wrongValue } from './shapes.js';

const isRead = (op: Op) => op.f === 'read' || op.f === 'get';

/**
 * Jepsen's convention: a read whose value is null tells nothing (the client does not know what it
 * read). We follow it when null cannot be the register's value, i.e. the register starts non-null;
 * when it starts null (Porcupine's etcd logs, faultline's own stores), a null read means "empty".
 */
function readMatches(state: unknown, read: unknown, nullIsUnknown: boolean): boolean {
  if (read === null && nullIsUnknown) return true;
  return sameValue(state, read);
}

function registerModel(name: string, init: unknown, cas: boolean): Model<unknown> {
  const nullIsUnknown = init !== null;
  const model: Model<unknown> = {
    name,
    init: () => init,
    key: valueKey,
    readOnly: (op, done) => op.f === 'read' || (op.f === 'cas' && done?.result === false),
    sameAsUnknown: (op, done) => op.f === 'write' || (op.f === 'cas' && done.result !== false),
    describe: (s) => show(s),
    checkOp: (op) => (op.f === 'cas' && !isPair(op.value) ? wrongValue('[from, to]', op.value) : undefined),
    step(s, op, done) {
      switch (op.f) {
        case 'read':
          if (!done) return s;
          return readMatches(s, done.value, nullIsUnknown) ? s : INCONSISTENT;
        case 'write':
          return op.value;
        case 'cas': {
          if (!cas) return INCONSISTENT;
          const [from, to] = op.value as [unknown, unknown];
          if (done && done.result === false) return sameValue(s, from) ? INCONSISTENT : s;
          return sameValue(s, from) ? to : INCONSISTENT;
        }
        default:
          return INCONSISTENT;
      }
    },
  };
  markRegister(model, { init, cas, nullIsUnknown });
  return model;
}

export const register: ModelSpec = {
  name: 'register',
  description: 'a read/write register: read (returns the value), write v. Default init null.',
  defaultInit: null,
  create: (init) => registerModel('register', init, false),
};

export const casRegister: ModelSpec = {
  name: 'cas-register',
  description:
    'a register with compare-and-set: read, write v, cas [from, to] (an ok cas with result: false did not hold). Default init null.',
  defaultInit: null,
  create: (init) => registerModel('cas-register', init, true),
};

type Registers = Record<string, unknown>;
const microOps = (op: Op) => (Array.isArray(op.value) ? (op.value as unknown[][]) : []);
const registerName = (k: unknown) => (typeof k === 'string' ? k : canonicalJson(k));

export const multiRegister: ModelSpec = {
  name: 'multi-register',
  description:
    'named registers read and written together: txn with micro-ops [read k v] / [write k v] (also r / w). Default init {}.',
  defaultInit: {},
  checkInit: initOf('an object of register: value', (v) => v !== null && typeof v === 'object' && !Array.isArray(v)),
  create: (init) => {
    const initial = (init ?? {}) as Registers;
    const model: Model<Registers> = {
      name: 'multi-register',
      init: () => ({ ...initial }),
      key: (s) => canonicalJson(s),
      readOnly: (op) => op.f === 'txn' && microOps(op).every((m) => m[0] === 'read' || m[0] === 'r'),
      describe: (s) => show(s),
      checkOp: (op, done) => {
        if (op.f !== 'txn') return undefined;
        const mop = (v: unknown) => Array.isArray(v) && v.length >= 2 && typeof v[0] === 'string';
        if (!Array.isArray(op.value) || !op.value.every(mop)) return wrongValue('a list of micro-ops [read|write, k, v]', op.value);
        if (done && done.value !== null && (!Array.isArray(done.value) || !done.value.every((m) => m === null || Array.isArray(m)))) {
          return wrongResult('a list of micro-ops', done.value);
        }
        return undefined;
      },
      step(s, op, done) {
        if (op.f !== 'txn') return INCONSISTENT;
        const result = done ? microOps(done) : undefined;
        let next = s;
        const mops = microOps(op);
        for (let i = 0; i < mops.length; i++) {
          const [kind, k, v] = mops[i];
          const name = registerName(k);
          if (kind === 'read' || kind === 'r') {
            if (!result) continue;
            const seen = result[i]?.[2];
            if (!readMatches(next[name] ?? null, seen ?? null, (initial[name] ?? null) !== null)) return INCONSISTENT;
          } else if (kind === 'write' || kind === 'w') {
            if (next === s) next = { ...s };
            next[name] = v;
          } else return INCONSISTENT;
        }
        return next;
      },
      // Per register only when every op touches one register: ops over several must stay whole.
      partition(h: History): History[] {
        const byRegister = new Map<string, number[]>();
        for (let i = 0; i < h.ops.length; i++) {
          const op = h.ops[i];
          if (op.process === 'nemesis') continue;
          const inv = op.type === 'invoke' ? op : h.invocation(i) ?? op;
          const names = new Set(microOps(inv).map((m) => registerName(m[1])));
          if (names.size !== 1) return [h];
          const [name] = names;
          let g = byRegister.get(name);
          if (!g) byRegister.set(name, (g = []));
          g.push(i);
        }
        return [...byRegister.values()].map((g) => h.subset(g));
      },
    };
    return model as Model<unknown>;
  },
};

export const mutex: ModelSpec = {
  name: 'mutex',
  description: 'a lock: acquire, release (each ok or not). Default init false (not held).',
  defaultInit: false,
  checkInit: initOf('true (held) or false (free)', (v) => typeof v === 'boolean'),
  create: (init) => ({
    name: 'mutex',
    init: () => init === true,
    key: (s) => (s ? 1 : 0),
    describe: (s) => (s ? 'held' : 'free'),
    step(s, op) {
      if (op.f === 'acquire') return s ? INCONSISTENT : true;
      if (op.f === 'release') return s ? false : INCONSISTENT;
      return INCONSISTENT;
    },
  }),
};

/** Sets and multisets are kept as sorted arrays of value keys with the values beside them. */
type Bag = { keys: string[]; values: unknown[] };
const bagKey = (b: Bag) => b.keys.join('\u0000');
const keyText = (v: unknown) => String(valueKey(v));

function bagAdd(b: Bag, v: unknown, unique: boolean): Bag {
  const k = keyText(v);
  let lo = 0;
  let hi = b.keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.keys[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  if (unique && b.keys[lo] === k) return b;
  return { keys: [...b.keys.slice(0, lo), k, ...b.keys.slice(lo)], values: [...b.values.slice(0, lo), v, ...b.values.slice(lo)] };
}

function bagRemove(b: Bag, v: unknown): Bag | undefined {
  const i = b.keys.indexOf(keyText(v));
  if (i === -1) return undefined;
  return { keys: [...b.keys.slice(0, i), ...b.keys.slice(i + 1)], values: [...b.values.slice(0, i), ...b.values.slice(i + 1)] };
}

const emptyBagFrom = (init: unknown, unique: boolean): Bag =>
  (Array.isArray(init) ? init : []).reduce((b: Bag, v) => bagAdd(b, v, unique), { keys: [], values: [] });

export const set: ModelSpec = {
  name: 'set',
  description: 'a set: add v, read (returns every element, in any order). Default init [].',
  defaultInit: [],
  checkInit: initOf('an array of elements', Array.isArray),
  create: (init) => ({
    name: 'set',
    init: () => emptyBagFrom(init, true),
    key: (s) => bagKey(s as Bag),
    readOnly: isRead,
    // null stays what it was (a read that saw nothing of use: inconsistent with any set)
    checkOp: (op, done) => (op.f === 'read' && done && done.value !== null && !Array.isArray(done.value) ? wrongResult('an array of elements', done.value) : undefined),
    describe: (s) => show((s as Bag).values),
    step(s, op, done) {
      const b = s as Bag;
      if (op.f === 'add') return bagAdd(b, op.value, true);
      if (op.f === 'read') {
        if (!done) return b;
        if (!Array.isArray(done.value)) return INCONSISTENT;
        // A read is a multiset: an element returned twice is something no set holds (as in
        // Porcupine's set model), so it is compared with duplicates kept, not collapsed.
        if (done.value.length !== b.keys.length) return INCONSISTENT;
        const read = emptyBagFrom(done.value, false);
        return bagKey(read) === bagKey(b) ? b : INCONSISTENT;
      }
      return INCONSISTENT;
    },
  }),
};

export const fifoQueue: ModelSpec = {
  name: 'fifo-queue',
  description:
    'a FIFO queue: enqueue v, dequeue (returns the oldest element, or null when empty). Default init [].',
  defaultInit: [],
  checkInit: initOf('an array of elements, oldest first', Array.isArray),
  create: (init) => ({
    name: 'fifo-queue',
    init: () => (Array.isArray(init) ? [...init] : []),
    key: (s) => canonicalJson(s),
    describe: (s) => show(s),
    step(s, op, done) {
      const q = s as unknown[];
      if (op.f === 'enqueue') return [...q, op.value];
      if (op.f === 'dequeue') {
        if (!done) return q.length ? q.slice(1) : q;
        if (q.length === 0) return done.value === null ? q : INCONSISTENT;
        return sameValue(q[0], done.value) ? q.slice(1) : INCONSISTENT;
      }
      return INCONSISTENT;
    },
  }),
};

export const unorderedQueue: ModelSpec = {
  name: 'unordered-queue',
  description:
    'a queue without order: enqueue v, dequeue (returns any element, or null when empty). An unknown-outcome dequeue is taken not to have happened. Default init [].',
  defaultInit: [],
  checkInit: initOf('an array of elements', Array.isArray),
  create: (init) => ({
    name: 'unordered-queue',
    init: () => emptyBagFrom(init, false),
    key: (s) => bagKey(s as Bag),
    describe: (s) => show((s as Bag).values),
    readOnly: (op, done) => op.f === 'dequeue' && !done,
    step(s, op, done) {
      const b = s as Bag;
      if (op.f === 'enqueue') return bagAdd(b, op.value, false);
      if (op.f === 'dequeue') {
        if (!done) return b;
        if (done.value === null) return b.keys.length === 0 ? b : INCONSISTENT;
        return bagRemove(b, done.value) ?? INCONSISTENT;
      }
      return INCONSISTENT;
    },
  }),
};

export const counter: ModelSpec = {
  name: 'counter',
  description: 'a counter: add n (n may be negative), read (returns the count). Default init 0.',
  defaultInit: 0,
  checkInit: initOf('a number', isFiniteNumber),
  create: (init) => ({
    name: 'counter',
    init: () => Number(init ?? 0),
    key: (s) => s as number,
    readOnly: isRead,
    // Number("x") is NaN, which no read equals: the verdict was INVALID instead of a refusal.
    checkOp: (op, done) => {
      if ((op.f === 'add' || op.f === 'increment') && op.value !== null && !isFiniteNumber(op.value)) return wrongValue('a number', op.value);
      if (op.f === 'read' && done && done.value !== null && !isFiniteNumber(done.value)) return wrongResult('a number', done.value);
      return undefined;
    },
    sameAsUnknown: (op) => op.f === 'add' || op.f === 'increment',
    describe: (s) => String(s),
    step(s, op, done) {
      const n = s as number;
      if (op.f === 'add' || op.f === 'increment') return n + Number(op.value ?? 1);
      if (op.f === 'read') return !done || done.value === n ? n : INCONSISTENT;
      return INCONSISTENT;
    },
  }),
};

/** A string with a polynomial hash kept up to date as it grows, so appends intern in O(1). */
interface Text {
  text: string;
  hash: number;
  /** BASE ** text.length, mod 2^32: what appending multiplies the hash by. */
  scale: number;
}
const BASE = 0x01000193;
function textOf(s: string): Text {
  let hash = 0;
  let scale = 1;
  for (let i = 0; i < s.length; i++) {
    hash = (Math.imul(hash, BASE) + s.charCodeAt(i)) | 0;
    scale = Math.imul(scale, BASE);
  }
  return { text: s, hash, scale };
}
function appendText(a: Text, b: Text): Text {
  return { text: a.text + b.text, hash: (Math.imul(a.hash, b.scale) + b.hash) | 0, scale: Math.imul(a.scale, b.scale) };
}
const valueText = (v: unknown) => textOf(v === null || v === undefined ? '' : String(v));

function jsonKind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export const kv: ModelSpec = {
  name: 'kv',
  description:
    "Porcupine's key-value store, one string register per key: get (returns the string), put v, append v. Default init \"\".",
  defaultInit: '',
  // Its state is a string per key: anything else would be checked as its String(), e.g. "[object Object]".
  checkInit: (init) => (typeof init === 'string' ? undefined : `the kv model holds a string per key (e.g. --init '""'), not ${jsonKind(init)}`),
  create: (init) => {
    // Each op's value as a Text, made once (a step of an append would otherwise hash it again).
    const texts = new Map<unknown, Text>();
    const textOfValue = (v: unknown): Text => {
      let t = texts.get(v);
      if (t === undefined) texts.set(v, (t = valueText(v)));
      return t;
    };
    const model: Model<Text> = {
      name: 'kv',
      // Appended strings almost never repeat: memoizing steps costs more than it saves.
      memo: false,
      init: () => valueText(init),
      key: (s) => s.text,
      hash: (s) => s.hash,
      equals: (a, b) => a.hash === b.hash && a.text.length === b.text.length && a.text === b.text,
      readOnly: isRead,
      sameAsUnknown: (op) => op.f === 'put' || op.f === 'append',
      // String() of an object or array is "[object Object]" or its elements joined: never meant.
      checkOp: (op, done) => {
        if ((op.f === 'put' || op.f === 'append') && !isScalar(op.value)) return wrongValue('a string', op.value);
        if (op.f === 'get' && done && !isScalar(done.value)) return wrongResult('a string', done.value);
        return undefined;
      },
      describe: (s) => JSON.stringify(s.text),
      // Appends only grow the string: a state that is not a prefix of what a later get returned can
      // reach that get only through a put. The test compares the state's hash with the hash of the
      // get's prefix of the same length (a collision answers "can", which only prunes less).
      lookahead: {
        resets: (op) => op.f === 'put',
        probe(op, done) {
          if (op.f !== 'get') return undefined;
          const read = done.value === null ? '' : String(done.value);
          const prefix = new Int32Array(read.length + 1);
          let h = 0;
          for (let i = 0; i < read.length; i++) prefix[i + 1] = h = (Math.imul(h, BASE) + read.charCodeAt(i)) | 0;
          const len = read.length;
          return (s) => s.text.length <= len && prefix[s.text.length] === s.hash;
        },
      },
      step(s, op, done) {
        if (op.f === 'get') {
          if (!done) return s;
          const read = done.value === null ? '' : String(done.value);
          return read.length === s.text.length && read === s.text ? s : INCONSISTENT;
        }
        if (op.f === 'put') return textOfValue(op.value);
        if (op.f === 'append') return appendText(s, textOfValue(op.value));
        return INCONSISTENT;
      },
    };
    return model as Model<unknown>;
  },
};

export const builtinModels: ModelSpec[] = [register, casRegister, multiRegister, mutex, set, fifoQueue, unorderedQueue, counter, kv];

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * A model of many independent objects, each a copy of `inner`, selected by the op's key: for
 * checking a keyed history whole rather than per key (slower; for comparison with checkers that
 * do not partition). A state is one small integer per key (the inner states interned), so a step
 * copies a few ints rather than a map.
 */
export function keyedModel(inner: Model<unknown>, keys: unknown[]): Model<Int32Array> {
  const name = (k: unknown) => (typeof k === 'string' ? `s${k}` : canonicalJson(k ?? null));
  const index = new Map<string, number>(keys.map((k, i) => [name(k), i]));
  const interner = new StateInterner(inner);
  const innerStates = interner.states;
  const intern = (v: unknown) => interner.intern(v);
  const initial = intern(inner.init());
  const innerLookahead = inner.lookahead;
  return {
    name: inner.name,
    init: () => new Int32Array(keys.length).fill(initial),
    key: (s) => s.join(','),
    hash: (s) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s[i], 0x01000193);
      return h;
    },
    equals: (a, b) => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      return true;
    },
    readOnly: inner.readOnly ? (op, done) => inner.readOnly!(op, done) : undefined,
    // The inner model's lookahead, per key: a step changes one key, and only that key's pending
    // ops and resets matter to it.
    lookahead: innerLookahead && {
      scope: (op) => index.get(name(op.key)) ?? -1,
      resets: (op, done) => innerLookahead.resets(op, done),
      probe(op, done) {
        const i = index.get(name(op.key));
        const p = i === undefined ? undefined : innerLookahead.probe(op, done);
        return p && ((s) => p(innerStates[s[i!]]));
      },
    },
    describe: (s) =>
      keys
        .map((k, i) => (s[i] === initial ? '' : `${show(k)}: ${inner.describe ? inner.describe(innerStates[s[i]]) : show(innerStates[s[i]])}`))
        .filter(Boolean)
        .join('; ') || 'initial',
    step(s, op, done) {
      const i = index.get(name(op.key));
      if (i === undefined) return INCONSISTENT;
      const next = inner.step(innerStates[s[i]], op, done);
      if (next === INCONSISTENT) return INCONSISTENT;
      const id = intern(next);
      if (id === s[i]) return s;
      const copy = s.slice();
      copy[i] = id;
      return copy;
    },
  };
}
