import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Op } from '../histories/op.js';
import { getWorkload, listWorkloads, workloadOptions } from '../workloads/index.js';
import { crdtSystem, invocations, kvSystem, runAndCheck, type Pretend } from './helpers/workload-sim.js';

const CRDTS = new Set(['g-counter', 'pn-counter', 'or-set']);

/** Options each workload may be given, drawn at random within their schema. */
const optionsFor: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  register: fc.record({ keys: fc.integer({ min: 0, max: 4 }), reads: fc.integer({ min: 0, max: 3 }), writes: fc.integer({ min: 1, max: 3 }), cas: fc.integer({ min: 0, max: 3 }) }),
  set: fc.record({ adds: fc.integer({ min: 1, max: 5 }), reads: fc.integer({ min: 1, max: 3 }) }),
  counter: fc.record({ negative: fc.boolean(), maxIncrement: fc.integer({ min: 1, max: 10 }) }),
  bank: fc.record({ accounts: fc.integer({ min: 2, max: 6 }), balance: fc.integer({ min: 0, max: 20 }), maxTransfer: fc.integer({ min: 1, max: 8 }) }),
  'list-append': fc.record({ keys: fc.integer({ min: 1, max: 6 }), maxTxnLength: fc.integer({ min: 1, max: 5 }), maxWritesPerKey: fc.integer({ min: 1, max: 12 }), keyDistribution: fc.constantFrom('uniform', 'exponential') }),
  'rw-register': fc.record({ keys: fc.integer({ min: 1, max: 6 }), maxTxnLength: fc.integer({ min: 1, max: 5 }), maxWritesPerKey: fc.integer({ min: 1, max: 12 }), keyDistribution: fc.constantFrom('uniform', 'exponential') }),
  queue: fc.record({ enqueues: fc.integer({ min: 1, max: 3 }), dequeues: fc.integer({ min: 0, max: 3 }) }),
  'unique-ids': fc.constant({}),
  'g-counter': fc.record({ maxIncrement: fc.integer({ min: 1, max: 10 }) }),
  'pn-counter': fc.record({ maxIncrement: fc.integer({ min: 1, max: 10 }) }),
  'or-set': fc.record({ adds: fc.integer({ min: 1, max: 3 }), removes: fc.integer({ min: 0, max: 3 }), reads: fc.integer({ min: 0, max: 2 }) }),
};

const systemFor = (name: string): Pretend => (CRDTS.has(name) ? crdtSystem(name as 'or-set') : kvSystem(name));

/** Values a workload promises never to send twice, by the key they must be unique within. */
function writtenValues(name: string, ops: Op[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const note = (key: unknown, v: unknown) => {
    const k = JSON.stringify(key ?? null);
    out.set(k, [...(out.get(k) ?? []), v]);
  };
  for (const op of invocations(ops)) {
    if (name === 'register' && op.f === 'write') note(null, op.value);
    if (name === 'register' && op.f === 'cas') note(null, (op.value as unknown[])[1]);
    if ((name === 'set' || name === 'or-set') && op.f === 'add') note(null, op.value);
    if (name === 'queue' && op.f === 'enqueue') note(null, op.value);
    if (op.f === 'txn') for (const [f, k, v] of op.value as [string, unknown, unknown][]) if (f !== 'r') note(k, v);
  }
  return out;
}

describe('every workload against a correct pretend store', () => {
  it('is known to the property table', () => {
    expect(Object.keys(optionsFor).sort()).toEqual(listWorkloads().map((w) => w.name).sort());
  });

  for (const w of listWorkloads()) {
    it(`${w.name}: valid for any seed, options, node count and concurrency; values unique; final ops reach every node`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          optionsFor[w.name],
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 0, max: 4 }),
          async (seed, raw, nodeCount, extraThreads) => {
            const options = workloadOptions(getWorkload(w.name), raw);
            const nodes = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
            // The CRDT pretend store has three replicas.
            const run = { seed, options, nodes: CRDTS.has(w.name) ? ['n1', 'n2', 'n3'] : nodes, concurrency: (CRDTS.has(w.name) ? 3 : nodeCount) + extraThreads, mainOps: 120 };
            const { ops, result } = await runAndCheck(w, systemFor(w.name), run);
            expect(result.valid, String(result.explanation)).toBe(true);
            for (const vs of writtenValues(w.name, ops).values()) expect(new Set(vs).size).toBe(vs.length);
            if (w.final) {
              const finalNodes = invocations(ops).filter((op) => op.final === true).map((op) => op.node);
              expect(new Set(finalNodes)).toEqual(new Set(run.nodes));
            }
          },
        ),
        { numRuns: 12 },
      );
    });
  }
});
