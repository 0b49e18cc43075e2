// The core record of faultline: one line of a history. Field names and meanings follow Jepsen
// (see DESIGN.md): `time` is nanoseconds since the test started, `info` means "unknown outcome".

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
export type Process = number | 'nemesis';

export interface Op {
  index: number;
  time?: number;
  type: OpType;
  process: Process;
  f: string;
  value: unknown;
  /** The object the op acts on, for keyed workloads (Jepsen's independent keys). */
  key?: unknown;
  node?: string;
  error?: unknown;
  /** `false` on an `ok` conditional op (cas) whose condition did not hold. */
  result?: boolean;
  /** Issued in the final phase, after the last heal (e.g. final reads). */
  final?: boolean;
  [extra: string]: unknown;
}

export const OP_TYPES: readonly OpType[] = ['invoke', 'ok', 'fail', 'info'];

export function isClient(op: Op): boolean {
  return op.process !== 'nemesis';
}

/** The fields every writer puts first, in this order; any others follow in their own order. */
export const CANONICAL_FIELDS = [
  'index', 'time', 'type', 'process', 'f', 'key', 'value', 'node', 'error', 'result', 'final',
] as const;
