// Runs a workload the way the runner will — setup through one client, the main phase, the final
// phase, each op sent to nodes[thread % nodes.length] — against a pretend system in simulate()
// (virtual clock, no I/O), and checks the history with the workload's own checker.
import { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import type { Result } from '../../checker/types.js';
import { applyOp, configureWorkload, type KvView } from '../../targets/builtin/state-machine.js';
import { MemoryKv } from '../../targets/builtin/kv.js';
import type { OpReply } from '../../targets/builtin/mode.js';
import { emptyCrdt, joinCrdt, ORSet, type Crdt } from '../../targets/builtin/crdt.js';
import { actorId } from '../../targets/builtin/vector-clock.js';
import { clients, limit, map, onThreads, phases, processToThread, simulate, type GenLike, type Outcome, type Random } from '../../workloads/generator/index.js';
import type { Workload, WorkloadOptions } from '../../workloads/types.js';

export const NODES = ['n1', 'n2', 'n3'];

export interface RunOptions {
  nodes?: string[];
  concurrency?: number;
  seed?: number;
  /** Main-phase invocations. */
  mainOps?: number;
  options?: Record<string, unknown>;
}

export type Completion = Outcome | ({ type: Outcome; value?: unknown } & Record<string, unknown>);

/** A pretend system: how each invocation ends (called at the invocation's instant). */
export interface Pretend {
  complete(op: Op, random: Random): Completion;
}

export function workloadOptions(r: RunOptions = {}): WorkloadOptions {
  return { nodes: r.nodes ?? NODES, concurrency: r.concurrency ?? 5, ...r.options };
}

/** The whole test's schedule for `w`, with `node` filled in as the runner does. */
export function schedule(w: Workload, o: WorkloadOptions, mainOps: number): GenLike {
  const setup = w.setup?.(o) ?? [];
  const all = phases(onThreads((t) => t === 0, setup), clients(limit(mainOps, w.generator(o))), w.final?.(o) ?? null);
  return map((op, ctx) => (op.process === 'nemesis' ? op : { ...op, node: o.nodes[(processToThread(ctx, op.process) as number) % o.nodes.length] }), all);
}

export function run(w: Workload, system: Pretend, r: RunOptions = {}): Op[] {
  const o = workloadOptions(r);
  return simulate(schedule(w, o, r.mainOps ?? 400), {
    concurrency: o.concurrency,
    seed: r.seed ?? 1,
    // Overlapping ops: latencies from 0.1 to 2 ms against invocations every few µs.
    latency: (_op, random) => 1e5 + random.int(19e5),
    complete: (op, random) => system.complete(op, random),
  });
}

export async function check(w: Workload, ops: Op[], r: RunOptions = {}): Promise<Result> {
  return w.checker(workloadOptions(r)).check(new History(ops), {});
}

export async function runAndCheck(w: Workload, system: Pretend, r: RunOptions = {}): Promise<{ ops: Op[]; result: Result }> {
  const ops = run(w, system, r);
  return { ops, result: await check(w, ops, r) };
}

export function asCompletion(reply: OpReply): Completion {
  return { type: reply.type, ...(reply.value !== undefined ? { value: reply.value } : {}), ...(reply.error !== undefined ? { error: reply.error } : {}) };
}

/**
 * A single correct node: the built-in store's state machine over a map. `bug`, when it returns a
 * reply, answers instead (and may change the state itself): that is where tests plant faults.
 */
export function kvSystem(workload: string, bug?: (op: Op, kv: KvView, apply: () => OpReply) => OpReply | undefined): Pretend & { kv: MemoryKv } {
  configureWorkload(workload);
  const kv = new MemoryKv();
  return {
    kv,
    complete(op) {
      const apply = () => applyOp(kv, { f: op.f, key: op.key, value: op.value });
      return asCompletion(bug?.(op, kv, apply) ?? apply());
    },
  };
}

/**
 * A replicated CRDT store: a replica per node taking updates locally, all replicas joined every
 * `joinEvery` ops and before the first final op (the heal), except those in `isolated`, which
 * never hear from the others (a partition that never healed).
 */
export function crdtSystem(type: 'g-counter' | 'pn-counter' | 'or-set', r: { joinEvery?: number; isolated?: string[]; dropAdd?: (op: Op) => boolean } = {}): Pretend {
  const replicas = new Map<string, Crdt>(NODES.map((n) => [n, emptyCrdt(type)]));
  const isolated = new Set(r.isolated ?? []);
  let updates = 0;
  let healed = false;
  const joinAll = () => {
    const connected = NODES.filter((n) => !isolated.has(n));
    let joined = replicas.get(connected[0])!;
    for (const n of connected.slice(1)) joined = joinCrdt(joined, replicas.get(n)!);
    for (const n of connected) replicas.set(n, joined.clone() as Crdt);
  };
  return {
    complete(op) {
      const node = op.node as string;
      if (op.final === true && !healed) {
        healed = true;
        joinAll();
      }
      if (op.f !== 'read' && ++updates % (r.joinEvery ?? 25) === 0) joinAll();
      const c = replicas.get(node)!;
      if (op.f === 'read') return { type: 'ok', value: c.value() };
      if (r.dropAdd?.(op) === true) return { type: 'ok', value: op.value };
      if (c instanceof ORSet) {
        if (op.f === 'add') c.add(actorId(node), op.value);
        else if (op.f === 'remove') c.remove(op.value);
      } else if (op.f === 'add') c.add(actorId(node), op.value as number);
      return { type: 'ok', value: op.value };
    },
  };
}

/** Client invocations of `ops`. */
export const invocations = (ops: Op[]): Op[] => ops.filter((op) => op.type === 'invoke');
