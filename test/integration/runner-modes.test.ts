// `faultline test` end to end against real built-in clusters: each replication mode with its
// natural workload for a few seconds, and the verdict its design implies (DESIGN.md's table).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Result } from '../../checker/types.js';
import { parseJsonl } from '../../histories/jsonl.js';
import { resolveConfig } from '../../runner/config.js';
import { run, type RunOutcome } from '../../runner/run.js';

const store = mkdtempSync(join(tmpdir(), 'faultline-modes-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

async function runTest(config: Record<string, unknown>): Promise<RunOutcome> {
  return run(resolveConfig({ store, timeLimit: 3, rate: 300, concurrency: 6, quiesce: 1, seed: 7, ...config }));
}

function sub(o: RunOutcome, name: string): Result {
  const r = o.results[name] as Result | undefined;
  if (!r) throw new Error(`no ${name} result in ${Object.keys(o.results).join(', ')}`);
  return r;
}

function explain(o: RunOutcome): string {
  return JSON.stringify({ valid: o.results.valid, explanation: o.results.explanation, error: o.results.error, dir: o.dir });
}

describe('built-in modes under their natural workloads', () => {
  it('leader-follower-sync: registers are linearizable; the store holds the history, results and report', async () => {
    const o = await runTest({ workload: { name: 'register', options: { keys: 3 } } });
    expect(o.exitCode, explain(o)).toBe(0);
    expect(sub(o, 'linearizable').valid).toBe(true);
    expect(o.results.invocations).toBeGreaterThan(300);
    for (const f of ['test.json', 'history.jsonl', 'results.json', 'report.html']) expect(existsSync(join(o.dir, f))).toBe(true);
    const h = parseJsonl(readFileSync(join(o.dir, 'history.jsonl'), 'utf8'), 'history.jsonl');
    expect(h.invocationCount).toBe(o.results.invocations);
    expect(h.ops.some((op) => op.final === true && op.f === 'read')).toBe(true);
    expect(existsSync(join(o.dir, 'logs', 'n1', 'node.log'))).toBe(true);
    expect(readFileSync(join(store, 'latest', 'results.json'), 'utf8')).toBe(readFileSync(join(o.dir, 'results.json'), 'utf8'));
  });

  it('leader-follower-async with follower reads: stale reads, found by linearizability and measured by staleness', async () => {
    const o = await runTest({ target: { mode: 'leader-follower-async', options: { replicationDelayMs: 150 } }, workload: { name: 'register', options: { keys: 3 } } });
    expect(o.exitCode, explain(o)).toBe(1);
    expect(sub(o, 'linearizable').valid).toBe(false);
    const staleness = sub(o, 'staleness');
    expect(staleness.stale as number).toBeGreaterThan(0);
    expect((staleness.lagMs as { max: number }).max).toBeGreaterThan(0);
  });

  it('multi-leader-lww loses concurrent set adds and counter increments', async () => {
    const set = await runTest({ target: { mode: 'multi-leader-lww', options: { replicationDelayMs: 100 } }, workload: { name: 'set' } });
    expect(set.exitCode, explain(set)).toBe(1);
    expect(sub(set, 'set-full').lostCount as number).toBeGreaterThan(0);
    const counter = await runTest({ target: { mode: 'multi-leader-lww', options: { replicationDelayMs: 100 } }, workload: { name: 'counter' } });
    expect(counter.exitCode, explain(counter)).toBe(1);
    expect(sub(counter, 'counter').valid).toBe(false);
  });

  it('multi-leader-vv keeps concurrent siblings: no set add or increment is lost', async () => {
    const set = await runTest({ target: { mode: 'multi-leader-vv', options: { replicationDelayMs: 100 } }, workload: { name: 'set' } });
    expect(set.exitCode, explain(set)).toBe(0);
    expect(sub(set, 'set-full').lostCount).toBe(0);
    const counter = await runTest({ target: { mode: 'multi-leader-vv', options: { replicationDelayMs: 100 } }, workload: { name: 'counter' } });
    expect(counter.exitCode, explain(counter)).toBe(0);
  });

  it('crdt: g-counter, pn-counter and or-set converge after the run', async () => {
    for (const name of ['g-counter', 'pn-counter', 'or-set']) {
      const o = await runTest({ workload: { name } });
      expect(o.exitCode, `${name}: ${explain(o)}`).toBe(0);
      expect(sub(o, 'convergence').valid).toBe(true);
    }
  });

  it('sharded: every key is linearizable on its own shard', async () => {
    const o = await runTest({ target: { mode: 'sharded' }, workload: { name: 'register', options: { keys: 8 } } });
    expect(o.exitCode, explain(o)).toBe(0);
    expect(sub(o, 'linearizable').valid).toBe(true);
  });

  it('list-append on leader-follower-sync is strict-serializable', async () => {
    const o = await runTest({ workload: { name: 'list-append' } });
    expect(o.exitCode, explain(o)).toBe(0);
  });
});
