// fast-check arbitraries for well-formed histories, for property tests of readers, writers and
// (later) checkers.
import fc from 'fast-check';
import type { Op, OpType } from '../../histories/op.js';

export interface HistoryShape {
  steps: { pick: number; outcome: number; value: unknown; f: number; nemesis: boolean }[];
  processes: number;
  startIndex: number;
  skipIndices: boolean;
  timed: boolean;
  keyed: boolean;
  txn: boolean;
  extra: boolean;
}

const F = ['read', 'write', 'cas', 'add', 'start-partition', 'a b', 'weird/f'];

const microOp = fc.oneof(
  fc.tuple(fc.constantFrom('append', 'r', 'w'), fc.integer({ min: 0, max: 5 }), fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }))),
);

/** Builds a well-formed history from a random shape: Jepsen's process rules hold by construction. */
export function buildHistory(shape: HistoryShape): Op[] {
  const ops: Op[] = [];
  const inFlight = new Map<number, Op>();
  const live: number[] = Array.from({ length: shape.processes }, (_, i) => i);
  let nextProcess = shape.processes;
  let index = shape.startIndex;
  let time = 1_000;
  for (const step of shape.steps) {
    const base: Partial<Op> = { index };
    index += shape.skipIndices && step.f % 2 ? 2 : 1;
    if (shape.timed) base.time = (time += 1 + (step.pick % 1000));
    if (step.nemesis) {
      ops.push({ ...base, type: 'info', process: 'nemesis', f: step.f % 2 ? 'start-partition' : 'stop-partition', value: step.value } as Op);
      continue;
    }
    const slot = step.pick % live.length;
    const p = live[slot];
    const open = inFlight.get(p);
    if (!open) {
      const op = { ...base, type: 'invoke', process: p, f: shape.txn ? 'txn' : F[step.f % F.length], value: step.value } as Op;
      if (shape.keyed) op.key = step.f % 3 === 0 ? `k${step.f}` : step.f;
      if (shape.extra && step.f % 4 === 0) op.node = `n${step.f % 3}`;
      if (shape.extra && step.f % 5 === 0) op['debug info'] = { at: step.pick };
      inFlight.set(p, op);
      ops.push(op);
    } else {
      const type: OpType = (['ok', 'ok', 'ok', 'fail', 'info'] as const)[step.outcome % 5];
      const op = { ...base, type, process: p, f: open.f, value: step.value } as Op;
      if (open.key !== undefined) op.key = open.key;
      if (type === 'ok' && open.f === 'cas' && step.outcome % 2) op.result = false;
      if (shape.extra && step.outcome % 7 === 0) op.final = true;
      if (type === 'fail' && shape.extra) op.error = ['timeout', step.outcome];
      inFlight.delete(p);
      ops.push(op);
      if (type === 'info') live[slot] = nextProcess++;
    }
  }
  return ops;
}

export const historyShape = (maxSteps = 40): fc.Arbitrary<HistoryShape> =>
  fc.record({ txn: fc.boolean() }).chain(({ txn }) =>
    fc.record({
      steps: fc.array(
        fc.record({
          pick: fc.nat(),
          outcome: fc.nat(),
          f: fc.nat({ max: 100 }),
          nemesis: fc.nat({ max: 9 }).map((n) => n < 2),
          value: txn ? fc.array(microOp, { minLength: 1, maxLength: 3 }) : fc.jsonValue({ maxDepth: 2 }),
        }),
        { maxLength: maxSteps },
      ),
      processes: fc.integer({ min: 1, max: 5 }),
      startIndex: fc.nat({ max: 10 }),
      skipIndices: fc.boolean(),
      timed: fc.boolean(),
      keyed: fc.boolean(),
      txn: fc.constant(txn),
      extra: fc.boolean(),
    }),
  );

export const wellFormedHistory = (maxSteps?: number) => historyShape(maxSteps).map(buildHistory);
