// Turns one part of a history into the arrays the search works on. Jepsen's semantics: `fail` ops
// never happened and are dropped; `info` ops and invocations that never complete may take effect
// at any point after their invocation, or never; an unknown-outcome op that cannot change the
// state (a read) constrains nothing and is dropped too.
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import type { Model } from './model.js';
import { IntMap } from './int-map.js';
import { StateInterner } from './interner.js';
import { canonicalJson } from './values.js';

export interface Call {
  op: Op;
  /** The ok completion, or undefined when the outcome is unknown. */
  done: Op | undefined;
  /** Positions in the part's history. */
  invokedAt: number;
  completedAt: number;
  /** The op never changes the state (a read, a cas that did not hold). */
  readOnly: boolean;
}

export interface PreparedPart {
  history: History;
  calls: Call[];
  /** Calls in invocation order; `sig[i]` interns what call i does, so equal calls share transitions. */
  sig: Int32Array;
  /** One representative call per signature. */
  sigCalls: Call[];
}

/** Builds the calls of `h`, optionally only those invoked before position `cut` (pending at the cut = unknown). */
export function prepare(h: History, model: Model<unknown>, cut = Infinity): PreparedPart {
  const calls: Call[] = [];
  const ops = h.ops;
  for (let i = 0; i < ops.length && i < cut; i++) {
    const op = ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis') continue;
    const j = h.pair[i];
    const completion = j === -1 || j >= cut ? undefined : ops[j];
    if (completion?.type === 'fail') continue;
    const ok = completion?.type === 'ok';
    if (!ok && model.readOnly?.(op, undefined)) continue;
    const done = ok ? completion : undefined;
    calls.push({ op, done, invokedAt: i, completedAt: ok ? j : -1, readOnly: model.readOnly?.(op, done) === true });
  }
  const sigIds = new Map<string, number>();
  const sigCalls: Call[] = [];
  const sig = new Int32Array(calls.length);
  calls.forEach((c, k) => {
    const text = `${c.op.f}\u0000${c.op.key === undefined ? '' : sigValue(c.op.key)}\u0000${sigValue(c.op.value)}\u0000${c.done ? `${sigValue(c.done.value)}\u0000${c.done.result}` : '?'}`;
    let id = sigIds.get(text);
    if (id === undefined) {
      sigIds.set(text, (id = sigCalls.length));
      sigCalls.push(c);
    }
    sig[k] = id;
  });
  return { history: h, calls, sig, sigCalls };
}

/**
 * A value in a signature's text: canonical JSON, or for a string without NUL (the fields'
 * separator) the string itself behind a tag no JSON text starts with (kv's long get results:
 * JSON.stringify of them showed in a check's profile).
 */
function sigValue(v: unknown): string {
  return typeof v === 'string' && !v.includes('\u0000') ? `'${v}` : canonicalJson(v);
}

/** In the memo: the step has not been computed yet. */
export const UNKNOWN_STEP = -2;
const DENSE_LIMIT = 1 << 18;

/**
 * Model states interned to integers, and each (state, call signature) step memoized in a typed
 * array, so the search steps the model once per distinct (state, op) and otherwise reads an int.
 * The search reads `memo` itself and calls `miss` for what it does not hold.
 */
export class Transitions {
  private readonly interner: StateInterner;
  private lookups = 0;
  private hits = 0;
  /** Steps are memoized (Model.memo, or until the memo has shown it catches nothing). */
  memoize: boolean;
  /**
   * No memo from the start (Model.memo false, unless the caller asks for one): the search steps
   * the model itself (stepRaw) and interns a new state only after its lookahead.
   */
  readonly raw: boolean;
  /** Dense memo: the state id after signature g in state s at [s * nSigs + g]; -1 cannot happen; UNKNOWN_STEP not computed. */
  memo: Int32Array;
  /** Past DENSE_LIMIT entries (models with many states, like kv's strings) a hash map takes over. */
  private bigMemo: IntMap | undefined;
  readonly nSigs: number;
  /** Model.lookahead compiled per signature: resets[g] 1 for a reset; probes[g] the test, or undefined. */
  readonly resets: Uint8Array | undefined;
  readonly probes: (((s: unknown) => boolean) | undefined)[] | undefined;
  /** scopes[g]: the object signature g touches (Model.lookahead.scope; 0 for a model of one). */
  readonly scopes: Int32Array | undefined;

  constructor(
    readonly model: Model<unknown>,
    private sigCalls: Call[],
    /** memo: true memoizes steps even for a model that says memo: false (the sequential checker). */
    options: { memo?: boolean } = {},
  ) {
    this.interner = new StateInterner(model);
    this.raw = model.memo === false && options.memo !== true;
    this.memoize = !this.raw;
    this.nSigs = Math.max(1, sigCalls.length);
    this.memo = new Int32Array(16 * this.nSigs).fill(UNKNOWN_STEP);
    const la = model.lookahead;
    if (la) {
      this.resets = new Uint8Array(this.nSigs);
      this.probes = new Array(this.nSigs).fill(undefined);
      this.scopes = new Int32Array(this.nSigs);
      sigCalls.forEach((c, g) => {
        this.scopes![g] = la.scope ? la.scope(c.op) : 0;
        this.resets![g] = la.resets(c.op, c.done) ? 1 : 0;
        if (c.done) this.probes![g] = la.probe(c.op, c.done);
      });
    }
  }

  get states(): readonly unknown[] {
    return this.interner.states;
  }

  intern(s: unknown): number {
    const before = this.interner.size;
    const id = this.interner.intern(s);
    // A new state: make room for its row of the dense memo, or move to the hash map.
    if (this.interner.size !== before && this.memoize && !this.bigMemo && this.interner.size * this.nSigs > this.memo.length) {
      if (this.memo.length * 2 > DENSE_LIMIT) this.bigMemo = new IntMap(1 << 12);
      else {
        const grown = new Int32Array(this.memo.length * 2).fill(UNKNOWN_STEP);
        grown.set(this.memo);
        this.memo = grown;
      }
    }
    return id;
  }

  /** The state id after signature `sig` in state `stateId`, or -1 if the op cannot happen there. */
  next(stateId: number, sig: number): number {
    const k = stateId * this.nSigs + sig;
    const hit = k < this.memo.length ? this.memo[k] : UNKNOWN_STEP;
    return hit === UNKNOWN_STEP ? this.miss(stateId, sig) : hit;
  }

  /**
   * For a model without a memo (Model.memo false): the model's step from state `stateId`, not yet
   * interned (the search tests it with the lookahead first); INCONSISTENT when it cannot happen.
   */
  stepRaw(stateId: number, sig: number): unknown {
    const c = this.sigCalls[sig];
    return this.model.step(this.states[stateId], c.op, c.done);
  }

  /** `next` for a step the dense memo does not hold: the hash map's, or the model's. */
  miss(stateId: number, sig: number): number {
    const k = stateId * this.nSigs + sig;
    if (k >= this.memo.length && this.memoize) {
      const hit = this.bigMemo!.get(k, UNKNOWN_STEP);
      if (hit !== UNKNOWN_STEP) {
        this.hits++;
        return hit;
      }
      // Models whose states rarely repeat (kv's growing strings) gain nothing from the memo: stop
      // paying for it once it has shown that.
      if (++this.lookups === 20_000 && this.hits < this.lookups / 10) this.memoize = false;
    }
    const c = this.sigCalls[sig];
    const s = this.model.step(this.states[stateId], c.op, c.done);
    const id = typeof s === 'symbol' ? -1 : this.intern(s);
    if (k < this.memo.length) this.memo[k] = id;
    else if (this.memoize) this.bigMemo!.set(k, id);
    return id;
  }
}
