// `faultline test --target redis` end to end through run(): the config the CLI builds, the
// nemesis's own schedule, the store's files. Replica reads under a partition of the primary show
// stale reads; the set workload under the same partition loses acknowledged adds (Sentinel fails
// over while the clients keep writing to the cut-off primary); kills and pauses run on the counter.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Result } from '../../checker/types.js';
import { listNamespaces } from '../../control/namespaces.js';
import type { Op } from '../../histories/op.js';
import { resolveConfig } from '../../runner/config.js';
import { run, type RunOutcome } from '../../runner/run.js';

const store = mkdtempSync(join(tmpdir(), 'faultline-redis-run-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

function explain(o: RunOutcome): string {
  return JSON.stringify({ valid: o.results.valid, explanation: o.results.explanation, error: o.results.error, dir: o.dir }).slice(0, 1500);
}

function history(o: RunOutcome): Op[] {
  return readFileSync(join(o.dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);
}

function noLeftovers(o: RunOutcome): void {
  const test = JSON.parse(readFileSync(join(o.dir, 'test.json'), 'utf8'));
  if (test.faultline.runId) expect(listNamespaces().filter((ns) => ns.includes(test.faultline.runId))).toEqual([]);
}

const base = { store, concurrency: 6, rate: 200, opTimeout: 2, seed: 11 };

// Concurrent: each run has its own cluster and namespaces, and most of a run is waiting (failovers,
// the 12 s quiesce), so on 2 cores they overlap well.
describe.concurrent('faultline test --target redis', () => {
  it('register, replica reads, the primary partitioned away: stale reads, not linearizable', async ({ expect }) => {
    const o = await run(
      resolveConfig({
        ...base,
        target: { type: 'redis', nodes: 3, options: { readFrom: 'replica' } },
        workload: { name: 'register', options: { keys: 3 } },
        nemesis: { faults: ['partition'], partitions: ['primaries'], interval: 2, hold: 8 },
        timeLimit: 12,
        quiesce: 12,
      }),
    );
    const stale = o.results.staleness as Result & { stale: number; reads: number };
    console.log(`redis run (replica reads, primaries partition): exit ${o.exitCode}, ${stale.stale} of ${stale.reads} reads stale; ${String(o.results.explanation).slice(0, 300)}`);
    expect(o.results.error, explain(o)).toBeUndefined();
    expect(o.exitCode, explain(o)).toBe(1);
    expect(stale.stale).toBeGreaterThan(0);
    expect(history(o).some((x) => x.f === 'start-partition')).toBe(true);
    noLeftovers(o);
  });

  it('set, the primary partitioned away while clients write to it: set-full reports the acknowledged adds lost', async ({ expect }) => {
    const o = await run(
      resolveConfig({
        ...base,
        target: { type: 'redis', nodes: 3 },
        workload: { name: 'set' },
        nemesis: { faults: ['partition'], partitions: ['primaries'], interval: 2, hold: 8 },
        timeLimit: 12,
        quiesce: 12,
      }),
    );
    const set = o.results['set-full'] as Result & { lostCount: number; attemptCount: number };
    console.log(`redis run (set, primaries partition): exit ${o.exitCode}, ${set.lostCount} of ${set.attemptCount} adds lost; ${String(set.explanation).slice(0, 300)}`);
    expect(o.results.error, explain(o)).toBeUndefined();
    expect(o.exitCode, explain(o)).toBe(1);
    expect(set.lostCount).toBeGreaterThan(0);
    noLeftovers(o);
  });

  it('register, primary reads, no faults: linearizable (exit 0)', async ({ expect }) => {
    const o = await run(
      resolveConfig({ ...base, target: { type: 'redis', nodes: 3 }, workload: { name: 'register', options: { keys: 3 } }, timeLimit: 5, quiesce: 0 }),
    );
    expect(o.exitCode, explain(o)).toBe(0);
    expect(o.results.invocations).toBeGreaterThan(300);
  });

  it('counter with kills and pauses: the run completes, heals and checks (the verdict is printed)', async ({ expect }) => {
    const o = await run(
      resolveConfig({
        ...base,
        target: { type: 'redis', nodes: 3 },
        workload: { name: 'counter' },
        nemesis: { faults: ['kill', 'pause'], interval: 3, hold: 4 },
        timeLimit: 14,
        quiesce: 12,
      }),
    );
    console.log(`redis run (counter, kill + pause): exit ${o.exitCode}; ${String(o.results.explanation ?? 'valid').slice(0, 400)}`);
    expect(o.results.error, explain(o)).toBeUndefined();
    expect([0, 1]).toContain(o.exitCode);
    const fs = new Set(history(o).filter((x) => x.process === 'nemesis').map((x) => x.f));
    expect(fs.has('start-kill') || fs.has('start-pause')).toBe(true);
  });
});
