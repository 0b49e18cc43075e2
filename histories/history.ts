// A history: the ops of a run in order, with invocations and completions paired in typed arrays
// so that checkers can walk from one to the other in O(1).
import { HistoryError } from './errors.js';
import type { Op, Process } from './op.js';
import { ProcessPairing } from './pairing.js';

export interface HistoryOptions {
  /** Where the ops came from, for error messages and evidence. */
  file?: string;
  /** The source line of each op (same length as ops), for error messages and evidence. */
  lines?: Int32Array;
  /** Notes a reader wants a person to see (e.g. a dropped truncated last line). */
  warnings?: string[];
  /** The reader already knows the ops are well-formed (e.g. a sub-history of a checked one). */
  trusted?: boolean;
}

const NONE = -1;

export class History {
  readonly ops: readonly Op[];
  readonly file: string;
  readonly lines: Int32Array | undefined;
  readonly warnings: string[];
  /** For an invocation, the position of its completion; for a completion, of its invocation; else -1. */
  readonly pair: Int32Array;
  /** Number of client invocations: the "ops" of verdicts.tsv. */
  readonly invocationCount: number;
  private positionByIndex: Map<number, number> | undefined;

  constructor(ops: readonly Op[], options: HistoryOptions = {}) {
    this.ops = ops;
    this.file = options.file ?? '<history>';
    this.lines = options.lines;
    this.warnings = options.warnings ?? [];
    this.pair = new Int32Array(ops.length).fill(NONE);
    this.invocationCount = this.pairUp(options.trusted === true);
  }

  get length(): number {
    return this.ops.length;
  }

  /** The source line of the op at `position` (1-based), when known. */
  lineOf(position: number): number | undefined {
    return this.lines ? this.lines[position] : undefined;
  }

  /** The completion of the invocation at `position`, or undefined while it is open. */
  completion(position: number): Op | undefined {
    const p = this.pair[position];
    return p === NONE || this.ops[position].type !== 'invoke' ? undefined : this.ops[p];
  }

  /** The invocation of the completion at `position`. */
  invocation(position: number): Op | undefined {
    const p = this.pair[position];
    return p === NONE || this.ops[position].type === 'invoke' ? undefined : this.ops[p];
  }

  /** The position of the op whose `index` field is `index`, or -1. */
  positionOf(index: number): number {
    const ops = this.ops;
    if (ops.length > 0) {
      const guess = index - ops[0].index;
      if (guess >= 0 && guess < ops.length && ops[guess].index === index) return guess;
    }
    if (!this.positionByIndex) {
      this.positionByIndex = new Map();
      for (let i = 0; i < ops.length; i++) this.positionByIndex.set(ops[i].index, i);
    }
    return this.positionByIndex.get(index) ?? NONE;
  }

  /** Positions of each process's ops, in history order. */
  byProcess(): Map<Process, Int32Array> {
    const groups = new Map<Process, number[]>();
    this.ops.forEach((op, i) => {
      let g = groups.get(op.process);
      if (!g) groups.set(op.process, (g = []));
      g.push(i);
    });
    return new Map([...groups].map(([p, g]) => [p, Int32Array.from(g)]));
  }

  /**
   * One sub-history per key, for keyed workloads. A completion goes with its invocation's key, so
   * a completion that does not repeat the key still lands in the right place. Nemesis ops and ops
   * without a key are left out.
   */
  byKey(): Map<unknown, History> {
    const keyOf = new Map<string, unknown>();
    const groups = new Map<string, number[]>();
    const ops = this.ops;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.process === 'nemesis') continue;
      const owner = op.type === 'invoke' || this.pair[i] === NONE ? op : ops[this.pair[i]];
      if (owner.key === undefined) continue;
      const id = typeof owner.key === 'string' ? `s${owner.key}` : `j${JSON.stringify(owner.key)}`;
      let g = groups.get(id);
      if (!g) {
        groups.set(id, (g = []));
        keyOf.set(id, owner.key);
      }
      g.push(i);
    }
    const result = new Map<unknown, History>();
    for (const [id, positions] of groups) result.set(keyOf.get(id), this.subset(positions));
    return result;
  }

  /** True when any client op carries a key. */
  isKeyed(): boolean {
    return this.ops.some((op) => op.key !== undefined && op.process !== 'nemesis');
  }

  /** The client ops alone, as a history. */
  clientOps(): History {
    const positions: number[] = [];
    this.ops.forEach((op, i) => op.process !== 'nemesis' && positions.push(i));
    return positions.length === this.ops.length ? this : this.subset(positions);
  }

  /** The nemesis ops (fault starts and stops), in order. */
  nemesisOps(): Op[] {
    return this.ops.filter((op) => op.process === 'nemesis');
  }

  /** A history of the ops at `positions` (ascending), keeping their lines. */
  subset(positions: readonly number[]): History {
    const lines = this.lines ? Int32Array.from(positions, (p) => this.lines![p]) : undefined;
    return new History(
      positions.map((p) => this.ops[p]),
      { file: this.file, lines, trusted: true },
    );
  }

  private fail(position: number, reason: string): never {
    throw new HistoryError(this.file, this.lineOf(position), reason);
  }

  // Pairs each client invocation with the next op of its process (histories/pairing.ts has the rules).
  private pairUp(trusted: boolean): number {
    const ops = this.ops;
    const pairing = new ProcessPairing(this.file, (p) => this.lineOf(p), trusted);
    let lastIndex = -Infinity;
    let indicesIncrease = true;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.index <= lastIndex) indicesIncrease = false;
      lastIndex = op.index;
      const inv = pairing.take(op, i);
      if (inv >= 0) {
        this.pair[inv] = i;
        this.pair[i] = inv;
      }
    }
    if (!indicesIncrease && !trusted) this.checkUniqueIndices();
    return pairing.invocations;
  }

  private checkUniqueIndices(): void {
    const seen = new Map<number, number>();
    this.ops.forEach((op, i) => {
      const prior = seen.get(op.index);
      if (prior !== undefined) this.fail(i, `"index" ${op.index} repeats the index of the op at ${this.where(prior)}`);
      seen.set(op.index, i);
    });
  }

  private where(position: number): string {
    const line = this.lineOf(position);
    return line === undefined ? `index ${this.ops[position].index}` : `line ${line}`;
  }
}
