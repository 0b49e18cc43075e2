// `unknown` has two meanings a CI gate must tell apart: the history had nothing the checker looks
// at (it proved nothing, so it must not pass), or the checker gave up at a bound. Every unknown
// result says which in `reason`, and the CLI prints it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { failingCheckers } from '../cli/test.js';
import { verdictText } from '../cli/verdict.js';
import { checkCausal } from '../checker/causal/index.js';
import { compose } from '../checker/compose.js';
import { checkLinearizable } from '../checker/linearizable/index.js';
import { getChecker, listCheckers } from '../checker/registry.js';
import { checkTxn } from '../checker/txn/index.js';
import { GAVE_UP, type UnknownReason } from '../checker/types.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { readHistoryFile } from '../histories/read.js';
import { corpusDir } from './helpers/corpus.js';
import { concurrent, r, txn, w } from './helpers/txn-history.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-unknown-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Only a nemesis op: no checker has anything to look at. */
const nemesisOnly = new History([{ index: 0, type: 'info', process: 'nemesis', f: 'start-partition', value: null } as Op]);

/** Options each checker needs to run at all. */
const ctxFor = (name: string) => ({
  ...(name === 'linearizable' || name === 'sequential' ? { model: 'cas-register' } : {}),
  options: name === 'convergence' ? { type: 'or-set' } : {},
});

describe('nothing to check', () => {
  it('every checker but the descriptive ones (stats, perf) says unknown with reason nothing-to-check', async () => {
    const descriptive = ['stats', 'perf'];
    for (const c of listCheckers()) {
      if (c.name.startsWith('always-') || c.name === 'echo-options' || c.name === 'slow') continue; // registered by other tests
      const res = await c.check(nemesisOnly, ctxFor(c.name));
      if (descriptive.includes(c.name)) {
        expect(res.valid, c.name).toBe(true);
        continue;
      }
      expect(res.valid, c.name).toBe('unknown');
      expect(res.reason, c.name).toBe('nothing-to-check');
      expect(res.explanation, c.name).toBeTruthy();
    }
  });

  it('so do checkers whose ops are there but never completed as they need (no read ok)', async () => {
    const ops = [
      { index: 0, type: 'invoke', process: 0, f: 'add', value: 1 },
      { index: 1, type: 'ok', process: 0, f: 'add', value: 1 },
    ] as Op[];
    for (const name of ['counter', 'set']) {
      const res = await getChecker(name).check(new History(ops), {});
      expect(res, name).toMatchObject({ valid: 'unknown', reason: 'nothing-to-check' });
    }
  });
});

describe('gave up', () => {
  it('linearizable: time and memory bounds', async () => {
    const { history } = await readHistoryFile(`${corpusDir}/porcupine/test_data/jepsen/etcd_002.log`);
    const late = await getChecker('linearizable').check(history, { model: 'cas-register', deadline: Date.now() - 1 });
    expect(late).toMatchObject({ valid: 'unknown', reason: 'time-limit' });
    const small = await checkLinearizable(history, 'cas-register', { maxCacheBytes: 1 });
    expect(small.valid).toBe('unknown');
  });

  it('causal: the clock bound', async () => {
    const ops: Op[] = [];
    for (let p = 0; p < 4; p++) ops.push({ index: ops.length, type: 'invoke', process: p, f: 'write', value: p + 1 } as Op, { index: ops.length + 1, type: 'ok', process: p, f: 'write', value: p + 1 } as Op);
    const res = await checkCausal(new History(ops), { maxClockEntries: 1 });
    expect(res).toMatchObject({ valid: 'unknown', reason: 'memory-limit' });
  });

  it('transactions: a cycle search past its deadline', async () => {
    const res = await checkTxn(concurrent(txn(r('x', null), w('y', 1)), txn(r('y', null), w('x', 1))), { workload: 'rw-register', deadline: Date.now() - 1 });
    expect(res).toMatchObject({ valid: 'unknown', reason: 'time-limit' });
  });

  it('compose keeps a checker that threw as checker-error, and takes the reason of the unknown checker', async () => {
    const thrower = { name: 't', description: '', check: async () => Promise.reject(new Error('boom')) };
    const res = await compose({ t: thrower }).check(nemesisOnly, {});
    expect(res).toMatchObject({ valid: 'unknown', reason: 'checker-error', t: { valid: 'unknown', reason: 'checker-error' } });
    const res2 = await compose({ s: getChecker('session') }).check(nemesisOnly, {});
    expect(res2).toMatchObject({ valid: 'unknown', reason: 'nothing-to-check' });
  });

  it('the reasons that count as giving up', () => {
    const all: UnknownReason[] = ['nothing-to-check', 'time-limit', 'memory-limit', 'search-limit', 'inconclusive', 'checker-error'];
    expect(all.filter((x) => GAVE_UP.has(x))).toEqual(['time-limit', 'memory-limit', 'search-limit']);
  });
});

describe('the CLI prints the reason', () => {
  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    return { code, out, err };
  }
  const file = join(tmp, 'nemesis-only.jsonl');
  writeFileSync(file, '{"index":0,"type":"info","process":"nemesis","f":"start-partition","value":null}\n');

  it('check: "unknown (nothing to check)", exit 2, and reason in --json', async () => {
    const h = await run('check', '--checker', 'session', file);
    expect(h.code).toBe(2);
    expect(h.out[0]).toMatch(/: unknown \(nothing to check\) · 0 invocations · session · /);
    const j = await run('check', '--checker', 'session', '--json', file);
    expect(JSON.parse(j.out[0])).toMatchObject({ valid: 'unknown', reason: 'nothing-to-check' });
  });

  it('test: the summary line of each checker that did not pass names the reason', () => {
    expect(verdictText('unknown', 'nothing-to-check')).toBe('unknown (nothing to check)');
    expect(verdictText('unknown', 'memory-limit')).toBe('unknown (gave up: memory limit)');
    expect(verdictText('unknown')).toBe('unknown');
    expect(verdictText(false, 'time-limit')).toBe('INVALID');
    const lines = failingCheckers({
      linearizable: { valid: 'unknown', reason: 'time-limit', explanation: 'gave up on 1 of 1 part (time limit)' },
      staleness: { valid: true },
      session: { valid: 'unknown', reason: 'nothing-to-check', explanation: 'the session checker looks at …' },
    });
    expect(lines).toEqual(['  linearizable: unknown (gave up: time limit) — gave up on 1 of 1 part (time limit)', '  session: unknown (nothing to check) — the session checker looks at …']);
  });

  it('check: a linearizable search past --timeout says it gave up', async () => {
    const etcd = join(corpusDir, 'porcupine/test_data/jepsen/etcd_002.log');
    const h = await run('check', '--model', 'cas-register', '--timeout', '0.000001', etcd);
    expect(h.code).toBe(2);
    expect(h.out[0]).toMatch(/: unknown \(gave up: time limit\) · /);
  });
});
