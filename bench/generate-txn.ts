// Generated transactional histories for benchmarks and tests of the Elle-style checker: a
// simulated strict-serializable single-copy database, so every history is valid by construction.
//
// Each process runs one transaction at a time: it invokes at t, the transaction takes effect
// atomically at a serialization point strictly inside its interval, and it completes. The
// serialization points are events on the same clock as invocations and completions, so the serial
// order is consistent with real time. Outcomes: ok (reads see exactly the state at the
// serialization point, including the transaction's own earlier writes), fail (no effects), or
// crash: an `info` completion carrying the invocation's value, whose effects were applied or not at
// random; the crashed process never invokes again and its thread continues as process +
// processes (Jepsen's rule).
//
// Micro-ops use elle-cli's JSON shape: list-append ["append", k, v] and ["r", k, null] in
// invocations, ["r", k, [v1, v2, ...]] in ok completions; rw-register ["w", k, v] and
// ["r", k, v | null]. Keys are integers from a pool of `activeKeys` live keys; a key that has had
// its cap of appends (writes) issued is retired and replaced by a fresh, larger key, so reads stay
// bounded. Values are unique per key (a per-key counter from 1).
//
// The generators are generator functions: ops are yielded in history order and never held, so a
// history of millions of transactions can be streamed to a file (writeJsonl).
import { closeSync, openSync, writeSync } from 'node:fs';
import { CANONICAL_FIELDS, type Op } from '../histories/op.js';
import { formatOpJsonl } from '../histories/write-jsonl.js';
import { rng } from './random.js';

export type ListAppendMop = ['append', number, number] | ['r', number, number[] | null];
export type RwRegisterMop = ['w', number, number] | ['r', number, number | null];
export type Mop = ListAppendMop | RwRegisterMop;

/** A transaction at the moment it took effect (ok, or info whose effects were applied). */
export interface SerializedTxn {
  /** The `index` of its invocation. */
  index: number;
  process: number;
  /** How it completed: `ok`, or `info` (a crash whose effects were applied). */
  type: 'ok' | 'info';
  /** Its micro-ops as executed, reads carrying what they saw (for info, too: the database's view). */
  value: Mop[];
  /**
   * How many ops had been yielded when it took effect: its invocation's index < position <= its
   * completion's index. Non-decreasing from one call to the next.
   */
  position: number;
}

export interface TxnGenOptions {
  /** How many transactions (invocations) to generate; each gets a completion. */
  txns: number;
  /** Concurrent client threads (default 10). */
  processes?: number;
  /** Micro-ops per transaction (default 4). */
  mopsPerTxn?: number;
  /** Size of the pool of live keys (default 10). */
  activeKeys?: number;
  /** Fraction of micro-ops that are reads (default 0.5). */
  readFraction?: number;
  /** Fraction of transactions that fail: no effects (default 0.01). */
  failRate?: number;
  /** Fraction of transactions that crash: info, effects applied or not at random (default 0.005). */
  crashRate?: number;
  seed?: number;
  /** Called at each serialization point that took effect, in serial order (tests replay it). */
  onSerialize?: (txn: SerializedTxn) => void;
}

export interface ListAppendOptions extends TxnGenOptions {
  /** Appends issued per key before the key is retired (default 200). */
  maxAppendsPerKey?: number;
}

export interface RwRegisterOptions extends TxnGenOptions {
  /** Writes issued per key before the key is retired (default 200). */
  maxWritesPerKey?: number;
}

// Latencies in nanoseconds: invocation → serialization point, serialization point → completion,
// and the think time between a completion and the thread's next invocation. Think time is short
// against latency, so at any instant most threads have a transaction in flight.
const MAX_TO_EFFECT_NS = 400_000;
const MAX_TO_COMPLETE_NS = 400_000;
const MAX_THINK_NS = 50_000;

type Phase = 0 | 1 | 2; // 0: next event is an invocation; 1: the serialization point; 2: the completion
type Outcome = 'ok' | 'fail' | 'info';

interface Thread {
  process: number;
  phase: Phase;
  at: number;
  seq: number;
  invocation: Op | undefined;
  outcome: Outcome;
  applied: boolean;
  /** The micro-ops as executed at the serialization point (reads filled in). */
  executed: Mop[] | undefined;
}

/** What differs between workloads: the state per key, how a micro-op is drawn and executed. */
interface Workload {
  /** Number of value-issuing micro-ops a key may get before retirement. */
  cap: number;
  /** The invocation's micro-op for a write to `key` with `value`. */
  write(key: number, value: number): Mop;
  read(key: number): Mop;
  /** Executes `mop` against the state, returning it with the read result filled in. */
  execute(mop: Mop): Mop;
  /** Forgets a retired key no transaction in flight refers to. */
  forget(key: number): void;
}

function* simulate(o: TxnGenOptions, w: Workload): Generator<Op, void, undefined> {
  const processes = o.processes ?? 10;
  const mopsPerTxn = o.mopsPerTxn ?? 4;
  const activeKeys = o.activeKeys ?? 10;
  const readFraction = o.readFraction ?? 0.5;
  const failRate = o.failRate ?? 0.01;
  const crashRate = o.crashRate ?? 0.005;
  const onSerialize = o.onSerialize;
  if (!(processes >= 1 && mopsPerTxn >= 1 && activeKeys >= 1 && w.cap >= 1)) {
    throw new RangeError('processes, mopsPerTxn, activeKeys and the per-key cap must be at least 1');
  }
  const random = rng(o.seed ?? 1);
  const int = (max: number) => 1 + Math.floor(random() * max); // 1..max

  // Keys: the live pool, how many values each key has issued, and how many in-flight
  // transactions mention it (a retired key's state is dropped once that reaches zero).
  const pool = Array.from({ length: activeKeys }, (_, i) => i);
  let nextKey = activeKeys;
  const issued = new Map<number, number>();
  const inFlight = new Map<number, number>();
  const retired = new Set<number>();

  // The event queue: a binary heap of threads ordered by (at, seq); each thread has exactly one
  // pending event. seq breaks ties deterministically and keeps one thread's events in order.
  let seq = 0;
  const threads: Thread[] = [];
  for (let t = 0; t < processes; t++) {
    threads.push({ process: t, phase: 0, at: int(MAX_THINK_NS), seq: seq++, invocation: undefined, outcome: 'ok', applied: false, executed: undefined });
  }
  const less = (a: Thread, b: Thread) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const heap: Thread[] = [];
  const push = (th: Thread) => {
    let i = heap.length;
    heap.push(th);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(th, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = th;
  };
  const pop = (): Thread => {
    const top = heap[0];
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && less(heap[l + 1], heap[l]) ? l + 1 : l;
        if (!less(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  for (const th of threads) push(th);

  let index = 0;
  let lastTime = 0;
  let invoked = 0;
  const stamp = (at: number) => (lastTime = at > lastTime ? at : lastTime + 1);

  const drawTxn = (): Mop[] => {
    const mops: Mop[] = [];
    for (let m = 0; m < mopsPerTxn; m++) {
      const slot = Math.floor(random() * activeKeys);
      const key = pool[slot];
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      if (random() < readFraction) {
        mops.push(w.read(key));
      } else {
        const n = (issued.get(key) ?? 0) + 1;
        mops.push(w.write(key, n));
        if (n >= w.cap) {
          issued.delete(key);
          retired.add(key); // no more values for it
          pool[slot] = nextKey++;
        } else issued.set(key, n);
      }
    }
    return mops;
  };

  const release = (mops: Mop[]) => {
    for (const mop of mops) {
      const key = mop[1];
      const n = inFlight.get(key)! - 1;
      if (n > 0) inFlight.set(key, n);
      else {
        inFlight.delete(key);
        if (retired.delete(key)) w.forget(key);
      }
    }
  };

  while (heap.length > 0) {
    const th = pop();
    if (th.phase === 0) {
      if (invoked >= o.txns) continue; // this thread is done
      invoked++;
      const r = random();
      th.outcome = r < crashRate ? 'info' : r < crashRate + failRate ? 'fail' : 'ok';
      th.applied = th.outcome === 'ok' || (th.outcome === 'info' && random() < 0.5);
      const op: Op = { index: index++, time: stamp(th.at), type: 'invoke', process: th.process, f: 'txn', value: drawTxn() };
      th.invocation = op;
      yield op;
      th.phase = 1;
      th.at += int(MAX_TO_EFFECT_NS);
    } else if (th.phase === 1) {
      const mops = th.invocation!.value as Mop[];
      if (th.applied) {
        const executed: Mop[] = new Array(mops.length);
        for (let m = 0; m < mops.length; m++) executed[m] = w.execute(mops[m]);
        th.executed = executed;
        onSerialize?.({ index: th.invocation!.index, process: th.process, type: th.outcome as 'ok' | 'info', value: executed, position: index });
      } else th.executed = undefined;
      release(mops);
      th.phase = 2;
      th.at += int(MAX_TO_COMPLETE_NS);
    } else {
      const inv = th.invocation!;
      const value = th.outcome === 'ok' ? th.executed! : inv.value;
      yield { index: index++, time: stamp(th.at), type: th.outcome, process: th.process, f: 'txn', value };
      if (th.outcome === 'info') th.process += processes; // a crashed process never invokes again
      th.invocation = undefined;
      th.executed = undefined;
      th.phase = 0;
      th.at += int(MAX_THINK_NS);
    }
    th.seq = seq++;
    push(th);
  }
}

/** A list-append history (Elle's list-append workload) from a strict-serializable database. */
export function* generateListAppend(o: ListAppendOptions): Generator<Op, void, undefined> {
  const lists = new Map<number, number[]>();
  yield* simulate(o, {
    cap: o.maxAppendsPerKey ?? 200,
    write: (k, v) => ['append', k, v],
    read: (k) => ['r', k, null],
    execute(mop) {
      const k = mop[1];
      let list = lists.get(k);
      if (mop[0] === 'append') {
        if (!list) lists.set(k, (list = []));
        list.push(mop[2] as number);
        return mop;
      }
      return ['r', k, list ? list.slice() : []];
    },
    forget: (k) => lists.delete(k),
  });
}

/** An rw-register history (Elle's rw-register workload) from a strict-serializable database. */
export function* generateRwRegister(o: RwRegisterOptions): Generator<Op, void, undefined> {
  const registers = new Map<number, number>();
  yield* simulate(o, {
    cap: o.maxWritesPerKey ?? 200,
    write: (k, v) => ['w', k, v],
    read: (k) => ['r', k, null],
    execute(mop) {
      const k = mop[1];
      if (mop[0] === 'w') {
        registers.set(k, mop[2] as number);
        return mop;
      }
      return ['r', k, registers.get(k) ?? null];
    },
    forget: (k) => registers.delete(k),
  });
}

const RANK = new Map<string, number>(CANONICAL_FIELDS.map((k, i) => [k, i]));

/** The op's JSONL line: formatOpJsonl's output, by a plain JSON.stringify when the op's fields are
 * already in the canonical order (as the generators make them), which is several times faster. */
function formatLine(op: Op): string {
  let last = -1;
  for (const k in op) {
    const r = RANK.get(k) ?? CANONICAL_FIELDS.length;
    if (r < last || (r === last && r < CANONICAL_FIELDS.length)) return formatOpJsonl(op);
    last = r;
  }
  return JSON.stringify(op);
}

const BATCH_BYTES = 8 << 20;

/** Streams `ops` to `file` as JSONL (truncating it), in 8 MB batches; returns what it wrote. */
export function writeJsonl(ops: Iterable<Op>, file: string): { ops: number; bytes: number } {
  const fd = openSync(file, 'w');
  let buf = Buffer.allocUnsafe(BATCH_BYTES);
  let off = 0;
  let count = 0;
  let bytes = 0;
  const flush = () => {
    for (let done = 0; done < off; ) done += writeSync(fd, buf, done, off - done);
    bytes += off;
    off = 0;
  };
  try {
    for (const op of ops) {
      const line = formatLine(op);
      const most = 3 * line.length + 1; // UTF-8 needs at most 3 bytes per UTF-16 unit
      if (off + most > buf.length) {
        flush();
        if (most > buf.length) buf = Buffer.allocUnsafe(most);
      }
      off += buf.write(line, off);
      buf[off++] = 10;
      count++;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { ops: count, bytes };
}
