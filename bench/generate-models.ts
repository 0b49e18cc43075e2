// Generated histories for the model checkers' benchmark (bench/models.ts) and its test: each one
// simulates a system that keeps the model's promise, so every history is valid by construction.
//
//   generateCausal    read/write registers on replicas with causal delivery: CC always; with
//                     mode 'lww' (last writer wins by Lamport timestamp) also CCv, with mode
//                     'arrival' (a replica's value is the last write it applied) also CM.
//   generateRegisters a leader/follower replicated register with lagging followers and sticky,
//                     client-guarded sessions: stale reads, yet all four session guarantees hold
//                     (in the causal and in the real-time version order).
//   generateSetFull   adds and reads of independent, bounded sets (Jepsen's set-full workload).
//
// Common shape: `threads` client threads, each with one op in flight at a time: an invocation,
// then its completion 0.5-4.5 ms later, then think time up to 1 ms; the thread whose next event is
// earliest goes next, so ops overlap. The op takes effect at its completion. `ops` counts history
// entries (invocations and completions); the last invocations may be left open. A crash completes
// the op `info` (its effect applied or not, at random) and the thread goes on as process
// + threads, as Jepsen does. Times are nanoseconds; values are unique per key (a global counter).
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { rng } from './random.js';

export { rng };

const LATENCY_MIN_NS = 0.5e6;
const LATENCY_SPAN_NS = 4e6;
const THINK_NS = 1e6;

/** The threads' clock: which thread acts next, and when. */
class Threads {
  readonly next: Float64Array;
  readonly procs: number[];
  constructor(
    readonly count: number,
    private readonly random: () => number,
  ) {
    this.next = Float64Array.from({ length: count }, () => random() * THINK_NS);
    this.procs = Array.from({ length: count }, (_, t) => t);
  }
  /** The thread whose next event is earliest. */
  pick(): number {
    const next = this.next;
    let t = 0;
    for (let i = 1; i < this.count; i++) if (next[i] < next[t]) t = i;
    return t;
  }
  invoked(t: number): void {
    this.next[t] += LATENCY_MIN_NS + this.random() * LATENCY_SPAN_NS;
  }
  completed(t: number, crashed: boolean): void {
    this.next[t] += this.random() * THINK_NS;
    if (crashed) this.procs[t] += this.count;
  }
}

/** A growable Int32Array. */
class Ints {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

type Outcome = 'ok' | 'info' | 'fail';
function outcomeOf(random: () => number, crashRate: number, failRate: number): Outcome {
  const x = random();
  return x < crashRate ? 'info' : x < crashRate + failRate ? 'fail' : 'ok';
}

function checkCommon(o: { ops: number; threads?: number; seed?: number }): void {
  if (!Number.isInteger(o.ops) || o.ops < 0) throw new RangeError(`ops must be a non-negative integer, not ${o.ops}`);
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1)) throw new RangeError('threads must be at least 1');
}

// ---------------------------------------------------------------------------------------------
// Causal: replicas with causal delivery.

export interface CausalGenOptions {
  /** History entries to generate. */
  ops: number;
  /** 'lww': CC and CCv (default); 'arrival': CC and CM. */
  mode?: 'lww' | 'arrival';
  /** Replicas (default 3); thread t talks to replica t mod replicas. */
  replicas?: number;
  /** Client threads (default 6). */
  threads?: number;
  /** Registers (default 5). */
  keys?: number;
  /** Ops carry `key` (default true; false needs keys = 1: the single register). */
  keyed?: boolean;
  /** Fraction of ops that are writes (default 0.4). */
  writeFraction?: number;
  /** Chance, before each event, of a delivery burst (up to 8 writes from one replica to another; default 0.3). */
  deliveryRate?: number;
  /** Fraction of ops that crash (info; default 0: each crash adds a process, and the checker's clocks grow with writing processes). */
  crashRate?: number;
  /** Fraction of ops that fail (no effect; default 0). */
  failRate?: number;
  seed?: number;
}

/**
 * A read/write register history from replicas that deliver writes causally: a replica applies a
 * remote write only after every write its origin had applied when issuing it, and one origin's
 * writes in order. A write is applied at its own replica when it completes; a read returns its
 * replica's value when it completes. In 'lww' mode the value is the applied write with the
 * greatest (Lamport timestamp, origin): one arbitration extending causality, so the history is
 * causally convergent (CCv). In 'arrival' mode it is the write applied last: each replica's order
 * is a linear extension of causality, so the history is causal memory (CM). Both imply CC.
 */
export function generateCausal(o: CausalGenOptions): History {
  checkCommon(o);
  const mode = o.mode ?? 'lww';
  const R = o.replicas ?? 3;
  const K = o.keys ?? 5;
  const keyed = o.keyed ?? true;
  const writeFraction = o.writeFraction ?? 0.4;
  const deliveryRate = o.deliveryRate ?? 0.3;
  const crashRate = o.crashRate ?? 0;
  const failRate = o.failRate ?? 0;
  if (!(R >= 1 && K >= 1)) throw new RangeError('replicas and keys must be at least 1');
  if (!keyed && K !== 1) throw new RangeError('an unkeyed history has one register: keys must be 1');
  const random = rng(o.seed ?? 1);
  const threads = new Threads(o.threads ?? 6, random);

  // Writes by id: key, value, Lamport timestamp, origin, and the origin's applied counts when issued.
  const wKey = new Ints();
  const wValue = new Ints();
  const wTs = new Ints();
  const wOrigin = new Ints();
  const wDeps = new Ints(); // R entries per write
  const stream: Ints[] = Array.from({ length: R }, () => new Ints()); // per origin: its writes in order
  const applied = new Int32Array(R * R); // applied[r * R + o]: writes of origin o applied at r
  const lamport = new Int32Array(R);
  const state = new Int32Array(R * K).fill(-1); // per replica and key: the write it returns, or -1

  const apply = (r: number, w: number): void => {
    const s = r * K + wKey.data[w];
    const cur = state[s];
    if (mode === 'arrival' || cur < 0) state[s] = w;
    else {
      const a = wTs.data[w];
      const b = wTs.data[cur];
      if (a > b || (a === b && wOrigin.data[w] > wOrigin.data[cur])) state[s] = w;
    }
    if (wTs.data[w] > lamport[r]) lamport[r] = wTs.data[w];
    applied[r * R + wOrigin.data[w]]++;
  };
  const deliverable = (r: number, w: number): boolean => {
    const base = w * R;
    for (let x = 0; x < R; x++) if (applied[r * R + x] < wDeps.data[base + x]) return false;
    return true;
  };
  const deliver = (): void => {
    if (R < 2) return;
    const r = Math.floor(random() * R);
    let src = Math.floor(random() * (R - 1));
    if (src >= r) src++;
    const burst = 1 + Math.floor(random() * 8);
    const list = stream[src];
    for (let i = 0; i < burst; i++) {
      const seq = applied[r * R + src]; // index of src's next write for r
      if (seq >= list.length) return;
      const w = list.data[seq];
      if (!deliverable(r, w)) return;
      apply(r, w);
    }
  };
  const issue = (r: number, key: number, value: number): void => {
    const w = wKey.length;
    wKey.push(key);
    wValue.push(value);
    wTs.push(++lamport[r]);
    wOrigin.push(r);
    for (let x = 0; x < R; x++) wDeps.push(applied[r * R + x]);
    stream[r].push(w);
    apply(r, w);
  };

  const pending: (Op | undefined)[] = new Array(threads.count).fill(undefined);
  const ops: Op[] = [];
  let nextValue = 1;
  while (ops.length < o.ops) {
    if (random() < deliveryRate) deliver();
    const t = threads.pick();
    const now = threads.next[t];
    const r = t % R;
    const p = pending[t];
    if (p === undefined) {
      const write = random() < writeFraction;
      const key = Math.floor(random() * K);
      const op: Op = { index: ops.length, time: now, type: 'invoke', process: threads.procs[t], f: write ? 'write' : 'read', ...(keyed ? { key } : {}), value: write ? nextValue++ : null };
      ops.push(op);
      pending[t] = op;
      threads.invoked(t);
      continue;
    }
    pending[t] = undefined;
    const type = outcomeOf(random, crashRate, failRate);
    const key = keyed ? (p.key as number) : 0;
    let value = p.value;
    if (p.f === 'write') {
      if (type === 'ok' || (type === 'info' && random() < 0.5)) issue(r, key, p.value as number);
    } else {
      const w = state[r * K + key];
      value = type === 'ok' && w >= 0 ? wValue.data[w] : null;
    }
    ops.push({ index: ops.length, time: now, type, process: p.process, f: p.f, ...(keyed ? { key } : {}), value });
    threads.completed(t, type === 'info');
  }
  return new History(ops, { file: `<causal ${mode}>` });
}

// ---------------------------------------------------------------------------------------------
// Replicated registers with sessions: session and staleness.

export interface RegisterGenOptions {
  ops: number;
  /** Registers (default 100). */
  keys?: number;
  /** Client threads (default 20); thread t is pinned to node n(1 + t mod 3). */
  threads?: number;
  /** Fraction of ops that are writes (default 0.3). */
  writeFraction?: number;
  /** Fraction of ops that crash (info; default 0.01). A crashed write took effect half the time. */
  crashRate?: number;
  /** Fraction of ops that fail (no effect; default 0.005). */
  failRate?: number;
  seed?: number;
}

const NODES = ['n1', 'n2', 'n3'];
/** How far behind the leader each node may serve a read, ns. */
const LAG_NS = [0, 20e6, 100e6];

/**
 * A leader/follower replicated register per key: a write takes effect in the leader's log when it
 * completes; a read served by node n sees the log as of (its invocation − a random lag up to n's
 * bound), so reads on n2 and n3 are often stale. Sessions are sticky (a thread keeps its node) and
 * guarded by the client: a process remembers, per key, the newest log entry it wrote or read, and
 * a read never returns an older one. The log's order is the order of completions, which neither
 * real time nor causal order (a value is visible only once its write completed) contradicts, so
 * read-your-writes, monotonic reads, monotonic writes and writes-follow-reads all hold; no read
 * returns an unwritten value and there are no final reads, so staleness is valid too.
 */
export function generateRegisters(o: RegisterGenOptions): History {
  checkCommon(o);
  const K = o.keys ?? 100;
  const writeFraction = o.writeFraction ?? 0.3;
  const crashRate = o.crashRate ?? 0.01;
  const failRate = o.failRate ?? 0.005;
  if (!(K >= 1)) throw new RangeError('keys must be at least 1');
  const random = rng(o.seed ?? 1);
  const threads = new Threads(o.threads ?? 20, random);
  const T = threads.count;

  // Per key: the log (times of the entries, values).
  const logTime: Float64Array[] = Array.from({ length: K }, () => new Float64Array(16));
  const logValue: Int32Array[] = Array.from({ length: K }, () => new Int32Array(16));
  const logLen = new Int32Array(K);
  // Per thread and key: the newest log entry its current process wrote or read (-1: none).
  const floor = new Int32Array(T * K).fill(-1);

  const append = (key: number, time: number, value: number): number => {
    const n = logLen[key];
    if (n === logTime[key].length) {
      const lt = new Float64Array(n * 2);
      lt.set(logTime[key]);
      logTime[key] = lt;
      const lv = new Int32Array(n * 2);
      lv.set(logValue[key]);
      logValue[key] = lv;
    }
    logTime[key][n] = time;
    logValue[key][n] = value;
    logLen[key] = n + 1;
    return n;
  };
  /** The last entry of `key`'s log at or before `asOf`, or -1. */
  const entryAsOf = (key: number, asOf: number): number => {
    const times = logTime[key];
    let lo = 0;
    let hi = logLen[key];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid] <= asOf) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };

  const pending: (Op | undefined)[] = new Array(T).fill(undefined);
  const ops: Op[] = [];
  let nextValue = 1;
  while (ops.length < o.ops) {
    const t = threads.pick();
    const now = threads.next[t];
    const node = t % 3;
    const p = pending[t];
    if (p === undefined) {
      const key = Math.floor(random() * K);
      const write = random() < writeFraction;
      const op: Op = { index: ops.length, time: now, type: 'invoke', process: threads.procs[t], f: write ? 'write' : 'read', key, value: write ? nextValue++ : null, node: NODES[node] };
      ops.push(op);
      pending[t] = op;
      threads.invoked(t);
      continue;
    }
    pending[t] = undefined;
    const key = p.key as number;
    const type = outcomeOf(random, crashRate, failRate);
    const slot = t * K + key;
    let value = p.value;
    if (p.f === 'write') {
      if (type === 'ok' || (type === 'info' && random() < 0.5)) {
        const e = append(key, now, p.value as number);
        if (type === 'ok') floor[slot] = e;
      }
    } else if (type === 'ok') {
      const asOf = (p.time as number) - random() * LAG_NS[node];
      const e = Math.max(entryAsOf(key, asOf), floor[slot]);
      floor[slot] = e;
      value = e < 0 ? null : logValue[key][e];
    }
    ops.push({ index: ops.length, time: now, type, process: p.process, f: p.f, key, value, node: p.node });
    if (type === 'info') floor.fill(-1, t * K, t * K + K); // a new process: a new session
    threads.completed(t, type === 'info');
  }
  return new History(ops, { file: '<registers>' });
}

// ---------------------------------------------------------------------------------------------
// Sets: set-full.

export interface SetGenOptions {
  ops: number;
  /** Client threads (default 10). */
  threads?: number;
  /** Sets being added to at once (default 10); a set that has had its cap of adds is replaced by a new key. */
  activeKeys?: number;
  /** Adds per key before it is retired (default 100), which bounds the size of reads. */
  maxAddsPerKey?: number;
  /** Fraction of ops that are reads of a whole set (default 0.2). */
  readFraction?: number;
  /** Fraction of ops that crash (info; default 0.005). A crashed add took effect half the time. */
  crashRate?: number;
  /** Fraction of ops that fail (no effect; default 0.005). */
  failRate?: number;
  seed?: number;
}

/**
 * Independent sets (Jepsen's keyed set-full): `add` of a unique element to a key from the live
 * pool, and `read` of a live key returning its elements in the order added. Adds take effect at
 * completion, reads see everything applied by their completion, so no acknowledged element is
 * lost, none is duplicated, none is unexpected: valid.
 */
export function generateSetFull(o: SetGenOptions): History {
  checkCommon(o);
  const activeKeys = o.activeKeys ?? 10;
  const cap = o.maxAddsPerKey ?? 100;
  const readFraction = o.readFraction ?? 0.2;
  const crashRate = o.crashRate ?? 0.005;
  const failRate = o.failRate ?? 0.005;
  if (!(activeKeys >= 1 && cap >= 1)) throw new RangeError('activeKeys and maxAddsPerKey must be at least 1');
  const random = rng(o.seed ?? 1);
  const threads = new Threads(o.threads ?? 10, random);

  const pool = Array.from({ length: activeKeys }, (_, i) => i);
  let nextKey = activeKeys;
  const issued: number[] = new Array<number>(activeKeys).fill(0);
  const contents: number[][] = Array.from({ length: activeKeys }, () => []);

  const pending: (Op | undefined)[] = new Array(threads.count).fill(undefined);
  const ops: Op[] = [];
  let nextElement = 1;
  while (ops.length < o.ops) {
    const t = threads.pick();
    const now = threads.next[t];
    const p = pending[t];
    if (p === undefined) {
      const slot = Math.floor(random() * activeKeys);
      const key = pool[slot];
      const read = random() < readFraction;
      const op: Op = { index: ops.length, time: now, type: 'invoke', process: threads.procs[t], f: read ? 'read' : 'add', key, value: read ? null : nextElement++ };
      if (!read && ++issued[key] === cap) {
        pool[slot] = nextKey++;
        issued.push(0);
        contents.push([]);
      }
      ops.push(op);
      pending[t] = op;
      threads.invoked(t);
      continue;
    }
    pending[t] = undefined;
    const key = p.key as number;
    const type = outcomeOf(random, crashRate, failRate);
    let value = p.value;
    if (p.f === 'add') {
      if (type === 'ok' || (type === 'info' && random() < 0.5)) contents[key].push(p.value as number);
    } else {
      value = type === 'ok' ? contents[key].slice() : null;
    }
    ops.push({ index: ops.length, time: now, type, process: p.process, f: p.f, key, value });
    threads.completed(t, type === 'info');
  }
  return new History(ops, { file: '<set-full>' });
}
