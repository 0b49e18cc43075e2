// checkSequential: is there one total order of a history's ops, legal for the model, that keeps
// each process's own order (Lamport's sequential consistency)? Unlike linearizability, the order
// need not respect real time across processes: a read may see a value another process overwrote
// long before, as long as every process's ops stay in its program order.
//
// Semantics (Jepsen's): an ok op happened, in its process's order; a failed op never happened; an
// op with an unknown outcome (info, or never completed) may have happened, at any point after its
// process's earlier ops, or never. A process is a Jepsen process id: a thread that crashes (info)
// goes on under a new process number, so its later ops are another "process" here, and program
// order is not carried across the crash.
//
// Keyed histories are checked whole, as one object per key in one state. Sequential consistency
// is not compositional (not local): each key's ops may have a sequentially consistent order of
// their own while no single order serves every key at once (two processes that each write one key
// and then read the other's as unwritten). So checking key by key could accept what is not
// sequentially consistent; this checker never splits a history, neither by key nor by a model's
// own `partition`.
import { InputError } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import type { Process } from '../../histories/op.js';
import type { Result } from '../types.js';
import { describeCall, describeState, where } from '../linearizable/describe.js';
import { liftKeyedTuples } from '../linearizable/check.js';
import type { Model, ModelSpec } from '../linearizable/model.js';
import { keyedModel } from '../linearizable/models.js';
import { type Call, prepare, Transitions } from '../linearizable/prepare.js';
import { resolveModel } from '../linearizable/registry.js';
import { checkOpShapes } from '../linearizable/shapes.js';
import { searchSequential, type SequentialProblem } from './search.js';

export interface SequentialOptions {
  /** The model's initial state (default: the model's own). */
  init?: unknown;
  /** Lift plain [k, v] values into the op's key first (Jepsen's independent tuples). */
  keyedTuples?: boolean;
  /** Date.now() after which the check gives up with unknown. */
  deadline?: number;
  /** Give up with unknown after exploring this many configurations (default 10 million). */
  maxExplored?: number;
  /** Bytes the search may take: explored configurations and the heap's growth (default 1 GiB). */
  maxMemoryBytes?: number;
}

export const DEFAULT_MAX_EXPLORED = 10_000_000;
/** How many ops of the longest order carry their state in the evidence (the last ones). */
const STATES_SHOWN = 200;

/** One op placed in an order, or left unplaced, as evidence shows it. */
export interface SequentialOpRef {
  index: number;
  completionIndex: number | null;
  process: Process;
  f: string;
  value: unknown;
  result?: unknown;
  ok?: false;
  outcome?: 'unknown';
}

const opRef = (c: Call): SequentialOpRef => ({
  index: c.op.index,
  completionIndex: c.done?.index ?? null,
  process: c.op.process,
  f: c.op.f,
  value: c.op.value,
  ...(c.done ? { result: c.done.value, ...(c.done.result === false ? { ok: false as const } : {}) } : { outcome: 'unknown' as const }),
});

function listText(xs: string[], max = 3): string {
  const shown = xs.slice(0, max);
  const more = xs.length - shown.length;
  const tail = more > 0 ? [...shown, `${more} more`] : shown;
  return tail.length <= 1 ? tail.join('') : `${tail.slice(0, -1).join(', ')} and ${tail[tail.length - 1]}`;
}

/**
 * Is `history` sequentially consistent with respect to `model`? `model` is a built-in name (see
 * listModels()), a ModelSpec, or a Model object.
 */
export async function checkSequential(
  history: History,
  model: string | Model<unknown> | ModelSpec,
  options: SequentialOptions = {},
): Promise<Result> {
  const maxExplored = options.maxExplored ?? DEFAULT_MAX_EXPLORED;
  if (!(maxExplored > 0)) throw new InputError(`sequential: maxExplored must be a positive number, got ${JSON.stringify(options.maxExplored)}`);
  let m = resolveModel(model, options.init);
  const h = options.keyedTuples ? liftKeyedTuples(history) : history;
  checkOpShapes(h, m);
  const clients = h.clientOps();
  const keyed = clients.isKeyed();
  let keys = 0;
  if (keyed) {
    const present = [...clients.byKey().keys()];
    keys = present.length;
    m = keyedModel(m, [...present, undefined]) as Model<unknown>;
  }
  const prepared = prepare(clients, m);
  // Memoized even for kv (Model.memo false is the linearizability search's choice: it tests a
  // new state with its lookahead before interning; this search revisits its steps).
  const transitions = new Transitions(m, prepared.sigCalls, { memo: true });
  const init = transitions.intern(m.init());

  // Group the calls by process, in each process's order; processes by first appearance.
  const procIds = new Map<Process, number>();
  const perProc: number[][] = [];
  prepared.calls.forEach((c, k) => {
    let p = procIds.get(c.op.process);
    if (p === undefined) {
      procIds.set(c.op.process, (p = perProc.length));
      perProc.push([]);
    }
    perProc[p].push(k);
  });
  const np = perProc.length;
  const total = prepared.calls.length;
  const procStart = new Int32Array(np + 1);
  const callOf = new Int32Array(total);
  const sig = new Int32Array(total);
  const known = new Uint8Array(total);
  const readOnly = new Uint8Array(total);
  const priority = new Float64Array(total);
  let at = 0;
  for (let p = 0; p < np; p++) {
    procStart[p] = at;
    for (const k of perProc[p]) {
      const c = prepared.calls[k];
      callOf[at] = k;
      sig[at] = prepared.sig[k];
      known[at] = c.done ? 1 : 0;
      readOnly[at] = c.readOnly ? 1 : 0;
      // Try ops in the order they were invoked (unknown ones after every ok one): a linearizable
      // history, the common case, is then ordered with little backtracking. (On the corpus's
      // valid rows invocation order explored 4.6 times fewer configurations than completion
      // order; on generated histories whose ops take effect anywhere in their span, about the
      // same, within a factor 1.6 either way.)
      priority[at] = c.done ? c.invokedAt : prepared.history.length + c.invokedAt;
      at++;
    }
  }
  procStart[np] = at;

  const problem: SequentialProblem = { processes: np, procStart, sig, known, readOnly, priority, init, next: (s, g) => transitions.next(s, g) };
  const r = searchSequential(problem, { deadline: options.deadline, maxExplored, maxMemoryBytes: options.maxMemoryBytes });
  const base = { model: m.name, processes: np, ...(keyed ? { keys } : {}), explored: r.explored };
  if (r.outcome === 'sequential') return { valid: true, ...base };
  if (r.outcome !== 'not-sequential') {
    const limit = r.outcome === 'timeout' ? 'time limit' : r.outcome === 'memory' ? 'memory limit' : `limit of ${maxExplored} explored configurations`;
    return {
      valid: 'unknown',
      ...base,
      reason: r.outcome === 'timeout' ? 'time-limit' : r.outcome === 'memory' ? 'memory-limit' : 'search-limit',
      explanation: `gave up (${limit}) after exploring ${r.explored} configurations without finding an order of the ${total} ops that keeps each process's order`,
    };
  }

  // Evidence: the longest order found, and what each unfinished process could not do next.
  const call = (flat: number) => prepared.calls[callOf[flat]];
  const stateText = (id: number) => describeState(m, transitions.states[id]);
  const order = Array.from(r.order, call);
  const stuck: (SequentialOpRef & { line?: number; allowed: boolean })[] = [];
  const stuckText: string[] = [];
  for (let p = 0; p < np; p++) {
    const flat = procStart[p] + r.stuckPositions[p];
    // a process with no ok op left is done: its unknown ops may simply never have happened
    let hasOk = false;
    for (let k = flat; k < procStart[p + 1]; k++) if (known[k]) hasOk = true;
    if (!hasOk) continue;
    const c = call(flat);
    const allowed = transitions.next(r.stuckState, sig[flat]) >= 0;
    const line = prepared.history.lineOf(c.invokedAt);
    stuck.push({ ...opRef(c), ...(line !== undefined ? { line } : {}), allowed });
    stuckText.push(`${describeCall(c)} (${where(c.op, line)})`);
  }
  const firstShown = Math.max(0, order.length - STATES_SHOWN);
  const after = order.length ? `, leaving the ${m.name} in state ${stateText(r.stuckState)}` : '';
  const allBlocked = stuck.every((x) => !x.allowed);
  const blocked =
    stuck.length === 1
      ? `the one process left ${allBlocked ? 'cannot take' : 'finds no way on with'} its next op, ${stuckText[0]}`
      : allBlocked
        ? `none of the ${stuck.length} processes left can take its next op: ${listText(stuckText)}`
        : `no order of what remains completes from there (the next ops: ${listText(stuckText)})`;
  const explanation =
    `No order of the ${total} ops that keeps each process's own order is legal for the ${m.name}. ` +
    `The longest order found places ${order.length} of them${after}, and then ${blocked}.`;
  return {
    valid: false,
    ...base,
    explanation,
    ops: stuck.map((s) => s.index).sort((a, b) => a - b),
    failure: {
      ops: total,
      placed: order.length,
      order: order.map((c) => c.op.index),
      // the last STATES_SHOWN ops of the order with the state after each
      steps: order.slice(firstShown).map((c, k) => ({ ...opRef(c), state: stateText(r.states[firstShown + k]) })),
      ...(firstShown > 0 ? { stepsOmitted: firstShown } : {}),
      state: stateText(r.stuckState),
      stuck,
    },
  };
}
