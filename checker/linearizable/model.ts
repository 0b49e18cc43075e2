// The model interface of the linearizability checker: a sequential specification of an object.
// A model is the only extension point; the search knows nothing about what a model means.
import type { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';

/** Returned by `step` when the op cannot happen in that state. */
export const INCONSISTENT: unique symbol = Symbol('inconsistent');
export type Inconsistent = typeof INCONSISTENT;

export interface Model<S = unknown> {
  /** The name `--model` uses. */
  name: string;
  init(): S;
  /**
   * The state after `op` (an invocation) takes effect in state `s`. `completion` is its `ok`
   * completion, or undefined when the outcome is unknown (`info`, or never completed): then the
   * op may have taken effect with any result.
   */
  step(s: S, op: Op, completion: Op | undefined): S | Inconsistent;
  /** Interns states: equal states must give equal keys. */
  key(s: S): number | string;
  /**
   * Optional, instead of `key` for interning: a hash (equal states, equal hashes) and an exact
   * equality. Worth it when a key would be long to build (kv's strings grow with every append).
   */
  hash?(s: S): number;
  equals?(a: S, b: S): boolean;
  /**
   * True if `op` (with completion `done`, or undefined when unknown) never changes the state, in
   * any state: a read, a cas that returned false. The search uses it to prune: an unknown-outcome
   * read-only op is dropped, and an ok one is lifted as soon as it can be, without branching.
   */
  readOnly?(op: Op, done: Op | undefined): boolean;
  /**
   * Optional: true when the ok op (completed by `done`) constrains and changes every state exactly
   * as the same op of unknown outcome does when it takes effect (a write, a cas that held). The
   * evidence search then trusts the decision search's furthest stop instead of searching the
   * prefix through it again; without it, it searches.
   */
  sameAsUnknown?(op: Op, done: Op): boolean;
  /**
   * Optional lookahead, a pruning the search applies after each step that changes the state. A
   * `reset` op (kv's put) may set the state to anything. `probe` compiles a test of states for an
   * ok op (kv's get): false only when no sequence of non-reset ops from that state lets the op
   * succeed (kv: the state is not a prefix of what the get returned, and appends only grow it).
   * The search walks the pending ok ops in return order, up to the first pending reset, and drops
   * a step whose state fails one of their probes: the failure would only surface at that op's
   * return, after every order of the ops in between had been tried. A probe may answer true when
   * unsure (a hash match), never false for a state that can still succeed.
   */
  lookahead?: {
    /**
     * For a model of several independent objects (a keyed history checked whole): which one `op`
     * touches. A step is probed only against the pending ops of the object it changed, and only
     * that object's resets stop the walk. Without it, one object.
     */
    scope?(op: Op): number;
    resets(op: Op, done: Op | undefined): boolean;
    probe(op: Op, done: Op): ((s: S) => boolean) | undefined;
  };
  /**
   * Optional: false when states rarely repeat (kv's appended strings), so memoizing each
   * (state, op) step would only cost memory: the search then steps the model every time, and
   * tests a new state with the lookahead before interning it.
   */
  memo?: boolean;
  /** Splits a history into parts that can be checked independently (P-compositionality). */
  partition?(h: History): History[];
  /** A state in a few words, for evidence ("3", "held", "[1,2]"). */
  describe?(s: S): string;
  /**
   * Optional: why invocation `op` (with its ok completion `done`, if any) has a value this model
   * cannot take, e.g. `value must be [from, to], got 1`; a reason about `done` starts "its
   * result". The checkers refuse such a history as input, naming the op's line (shapes.ts).
   */
  checkOp?(op: Op, done: Op | undefined): string | undefined;
}

export interface ModelSpec {
  name: string;
  /** What ops the model takes, for --help and docs. */
  description: string;
  /** The initial state `--init` overrides, as JSON. */
  defaultInit: unknown;
  create(init: unknown): Model<unknown>;
  /**
   * Why `init` is not a state this model can hold, or undefined when it is. Without it any JSON
   * value is taken (the model makes of it what it can).
   */
  checkInit?(init: unknown): string | undefined;
}
