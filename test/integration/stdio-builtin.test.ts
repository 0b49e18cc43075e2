// The stdio target end to end: run() drives the example Python adapter (examples/stdio/) over a
// real 3-node leader-follower-sync built-in cluster, and the fixture adapter broken on purpose
// (malformed output, exits mid-test, exits every time): the run fails with one clear line where it
// must, goes on where it can, and always leaves a checkable history and no adapter behind.
// The nodes run the compiled dist/targets/builtin/node-main.js (npm test builds first).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Result } from '../../checker/types.js';
import type { Op } from '../../histories/op.js';
import { checkRun, loadRun } from '../../runner/analyze.js';
import { resolveConfig } from '../../runner/config.js';
import { run, type RunOutcome } from '../../runner/run.js';
import { createBuiltinTarget } from '../../targets/builtin/target.js';
import { createStdioTarget, type StdioTarget } from '../../targets/stdio/index.js';
import { python } from '../fixtures/stdio/python.js';
import { running } from '../../control/proc.js';

const PY = python();
const EXAMPLE = [PY, 'examples/stdio/builtin_adapter.py'];
const FIXTURE = [PY, 'test/fixtures/stdio/fixture_adapter.py', '--store'];
const store = mkdtempSync(join(tmpdir(), 'fl-stdio-run-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

let made = 0;
function stdioOverBuiltin(adapter: string[], restartLimit?: number): StdioTarget {
  const dir = join(store, `cluster-${++made}`);
  const inner = createBuiltinTarget({ mode: 'leader-follower-sync', options: { workload: 'register' }, dir });
  // FAULTLINE_ADDRESS: the inner cluster's address(node) (a bare socket path), the default.
  return createStdioTarget({ dir, adapter, inner, workload: 'register', restartLimit });
}

async function runWith(target: StdioTarget, config: Record<string, unknown> = {}): Promise<RunOutcome> {
  const o = await run(
    resolveConfig({
      store,
      name: `stdio-${made}`,
      timeLimit: 3,
      rate: 150,
      concurrency: 6,
      quiesce: 0.5,
      seed: 11,
      target: { mode: 'leader-follower-sync' },
      workload: { name: 'register', options: { keys: 3 } },
      ...config,
    }),
    { target },
  );
  // No adapter outlives the run.
  for (const n of target.nodes) for (const pid of target.stats(n).pids) expect(running(pid), `adapter ${pid} of ${n}`).toBe(false);
  return o;
}

function sub(o: { [k: string]: unknown }, name: string): Result {
  const r = o[name] as Result | undefined;
  if (!r) throw new Error(`no ${name} result in ${Object.keys(o).join(', ')}`);
  return r;
}

function explain(o: RunOutcome): string {
  return JSON.stringify({ valid: o.results.valid, error: o.results.error, dir: o.dir });
}

/** The stored run checked again from its files, as `faultline analyze` does. */
async function analyze(o: RunOutcome): Promise<{ result: Result; ops: Op[] }> {
  const stored = await loadRun(o.dir);
  const result = await checkRun(stored.workload, stored.options, stored.history, 30);
  return { result, ops: stored.history.ops as Op[] };
}

function total(t: StdioTarget, what: 'starts' | 'restarts' | 'exits'): number {
  return t.nodes.reduce((s, n) => s + t.stats(n)[what], 0);
}

describe('stdio target over the built-in store', () => {
  it('the example Python adapter passes the register test: valid and linearizable', async () => {
    const t = stdioOverBuiltin(EXAMPLE);
    const o = await runWith(t);
    expect(o.exitCode, explain(o)).toBe(0);
    expect(sub(o.results, 'linearizable').valid).toBe(true);
    expect(o.results.invocations).toBeGreaterThan(50);
    const { ops } = await analyze(o);
    expect(ops.filter((op) => op.type === 'ok' && op.f === 'write').length).toBeGreaterThan(20);
    expect(ops.some((op) => op.final === true && op.type === 'ok' && op.f === 'read')).toBe(true);
    expect(total(t, 'exits')).toBe(0);
    // Adapter stderr sits next to the node's own log.
    expect(t.logs('n1').map((p) => p.split('/').at(-1))).toEqual(expect.arrayContaining(['node.log', 'adapter-1.log']));
    expect(readFileSync(t.logs('n1').find((p) => p.endsWith('adapter-1.log'))!, 'utf8')).toMatch(/serving n1 at unix:\/\S+n1\.c\.sock/);
  });

  it('under kill faults (delegated to the built-in cluster) the adapter stays honest: still linearizable', async () => {
    const t = stdioOverBuiltin(EXAMPLE);
    const o = await runWith(t, { timeLimit: 5, nemesis: { faults: ['kill'], interval: 1 } });
    expect(o.exitCode, explain(o)).toBe(0);
    expect(sub(o.results, 'linearizable').valid).toBe(true);
    const { ops } = await analyze(o);
    expect(ops.some((op) => op.process === 'nemesis' && op.f === 'start-kill')).toBe(true);
    // Ops against a dead node: refused connections are fail, not pretended ok.
    expect(ops.some((op) => op.type === 'fail' && /not delivered/.test(String(op.error)))).toBe(true);
  });

  it('malformed adapter output stops the run: exit 3, one line naming the adapter and the stdout line; the history checks', async () => {
    const t = stdioOverBuiltin([...FIXTURE, '--emit-after', '10', 'hello']);
    const o = await runWith(t);
    expect(o.exitCode, explain(o)).toBe(3);
    const error = String(o.results.error);
    expect(error).toMatch(/^stdio adapter n[123]#\d \(\S+ test\/fixtures\/stdio\/fixture_adapter\.py --store --emit-after 10 hello\): stdout line 10: not JSON: "hello"$/);
    expect(JSON.parse(readFileSync(join(o.dir, 'results.json'), 'utf8')).error).toBe(error);
    const { result, ops } = await analyze(o);
    expect(result.valid).toBe(true);
    expect(ops.filter((op) => op.type === 'info' && op.error === error)).toHaveLength(1);
    // It stopped early: far fewer ops than 3 s at 150/s would give.
    expect(o.results.invocations).toBeLessThan(300);
  });

  it('an adapter that exits mid-test: its op in flight is info, it is restarted, the run goes on and stays valid', async () => {
    const t = stdioOverBuiltin([...FIXTURE, '--exit-after', '10']);
    const o = await runWith(t);
    expect(o.exitCode, explain(o)).toBe(0);
    expect(sub(o.results, 'linearizable').valid).toBe(true);
    const { ops } = await analyze(o);
    const exited = ops.filter((op) => op.type === 'info' && /^adapter exited with code 3 \(n[123]#\d\)$/.test(String(op.error)));
    expect(exited.length).toBeGreaterThan(0);
    expect(total(t, 'exits')).toBe(exited.length);
    expect(total(t, 'restarts')).toBeGreaterThan(0);
    // Ops went on after the first exit.
    expect(ops.filter((op) => op.type === 'ok' && op.index > exited[0].index).length).toBeGreaterThan(20);
  });

  it('an adapter that exits every time fails the run once the restart limit is passed; the history checks', async () => {
    const t = stdioOverBuiltin([...FIXTURE, '--exit-at-start'], 3);
    const o = await runWith(t);
    expect(o.exitCode, explain(o)).toBe(3);
    expect(String(o.results.error)).toMatch(
      /^stdio adapter n[123]#\d \(\S+ .*--exit-at-start\): n[123]'s adapters exited 4 times in a row without a reply \(restart limit 3\); the last exited with code 1, its stderr is in \S+adapter-\d\.log and ends "fixture_adapter: cannot reach the store \(on purpose\)"$/,
    );
    const { result, ops } = await analyze(o);
    // Nothing succeeded, so nothing was tested: unknown, never a pass.
    expect(result.valid).toBe('unknown');
    expect(result.reason).toBe('nothing-to-check');
    expect(ops.filter((op) => op.type === 'ok')).toHaveLength(0);
    expect(existsSync(join(o.dir, 'history.jsonl'))).toBe(true);
  });
});
