// What the session checker reports: per guarantee, the violations (pairs of ops), each saying
// which version order made its version "known older".

export type Guarantee = 'read-your-writes' | 'monotonic-reads' | 'monotonic-writes' | 'writes-follow-reads';
export const GUARANTEES: readonly Guarantee[] = ['read-your-writes', 'monotonic-reads', 'monotonic-writes', 'writes-follow-reads'];

/**
 * The order in which versions of a key are "known older":
 * - causal (the default): the write of x is in the causal past of the write of y — each
 *   process's own order plus reads-from, transitively; every correct store respects it;
 * - realtime: x was acknowledged before y was invoked (for stores that claim linearizable keys);
 * - process: some process saw x before y, transitively (for stores that claim sequentially
 *   consistent keys; Elle's sequential-keys).
 */
export type VersionOrder = 'causal' | 'realtime' | 'process';
export const VERSION_ORDERS: readonly VersionOrder[] = ['causal', 'realtime', 'process'];

/** One step of the evidence that x is known older than y. */
export type OrderStep =
  /** causal: an op (its `index`) and the edge into it from the step before (absent on the first). */
  | { index: number; via?: 'po' | 'rf' }
  /** process: a process that saw one version (at op `from`) and then the next (at op `to`). */
  | { process: number; from: number; to: number };

export interface SessionViolation {
  /** `index` of the two ops that break the guarantee, earlier first (the later one is a read). */
  ops: [number, number];
  process: number;
  key?: unknown;
  sentence: string;
  /** The version order that made the version read known older (absent for monotonic-writes, which needs none but the writer's own order). */
  order?: VersionOrder;
  /** causal and process orders: how the version read is known older, step by step (when found within bounds). */
  path?: OrderStep[];
  /** monotonic-writes: `index` of the two writes seen out of order (earlier write first). */
  writes?: [number, number];
  /** writes-follow-reads: `index` of the writer's read of v and of its write w. */
  via?: [number, number];
}

export interface GuaranteeResult {
  valid: boolean;
  count: number;
  /** The first `maxViolations` violations, in history order of their later op. */
  violations: SessionViolation[];
}

export type SessionResults = Record<Guarantee, GuaranteeResult>;

/** Collects violations per guarantee: all counted, the first `max` kept (built only then). */
export class Violations {
  readonly out: SessionResults;
  constructor(private readonly max: number) {
    this.out = Object.fromEntries(GUARANTEES.map((g) => [g, { valid: true, count: 0, violations: [] as SessionViolation[] }])) as SessionResults;
  }
  add(g: Guarantee, make: () => SessionViolation): void {
    const res = this.out[g];
    res.valid = false;
    res.count++;
    if (res.violations.length < this.max) res.violations.push(make());
  }
}

/** Per (process, key): a dense slot id, in order of first use. */
export class Slots {
  private readonly ids = new Map<number, number>();
  constructor(private readonly keys: number) {}
  of(p: number, k: number): number {
    const id = p * this.keys + k;
    let s = this.ids.get(id);
    if (s === undefined) this.ids.set(id, (s = this.ids.size));
    return s;
  }
}
