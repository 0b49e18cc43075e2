// `faultline test --target etcd` with real faults: each member in its own network namespace,
// partitions as iptables drops, kills and pauses as signals. etcd is linearizable and its
// transactions serializable, so the verdicts must be valid — and the history must show the faults
// took effect (a member cut off from a majority serves nothing until the heal).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '../../control/namespaces.js';
import type { Op } from '../../histories/op.js';
import { resolveConfig } from '../../runner/config.js';
import { run, type RunOutcome } from '../../runner/run.js';

const store = mkdtempSync(join(tmpdir(), 'faultline-etcd-nemesis-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

type Grudge = Record<string, string[]>;

function explain(o: RunOutcome): string {
  return JSON.stringify({ valid: o.results.valid, explanation: o.results.explanation, error: o.results.error, dir: o.dir });
}

function history(o: RunOutcome): Op[] {
  return readFileSync(join(o.dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);
}

/** Nodes that, under `g`, reach fewer than a majority of the cluster (themselves included). */
function minority(g: Grudge, nodes: readonly string[]): string[] {
  const drops = (a: string, b: string) => (g[a] ?? []).includes(b) || (g[b] ?? []).includes(a);
  return nodes.filter((n) => 1 + nodes.filter((m) => m !== n && !drops(n, m)).length <= nodes.length / 2);
}

/** Partition windows (from the completion of a start to the invocation of its stop) with their grudge. */
function partitionWindows(ops: Op[]): { start: number; end: number; grudge: Grudge }[] {
  const nem = ops.filter((o) => o.process === 'nemesis' && o.f.endsWith('-partition'));
  const out: { start: number; end: number; grudge: Grudge }[] = [];
  for (let i = 0; i + 1 < nem.length; i += 2) {
    if (nem[i].f === 'start-partition') {
      const stop = nem.slice(i + 2).find((o) => o.f === 'stop-partition');
      out.push({ start: nem[i + 1].time!, end: stop?.time ?? Infinity, grudge: nem[i + 1].value as Grudge });
    }
  }
  return out;
}

describe('etcd under the nemesis', () => {
  it('register with partitions, kills and pauses: linearizable, and cut-off members serve nothing until the heal', async () => {
    const o = await run(
      resolveConfig({
        store,
        target: { type: 'etcd', nodes: 3 },
        workload: { name: 'register', options: { keys: 3 } },
        nemesis: { faults: ['partition', 'kill', 'pause'], interval: 2, partitions: ['isolate-one', 'halves'] },
        timeLimit: 20,
        rate: 150,
        concurrency: 6,
        quiesce: 1,
        opTimeout: 2,
        seed: 5,
      }),
    );
    expect(o.exitCode, explain(o)).toBe(0);
    const ops = history(o);
    const fs = new Set(ops.filter((x) => x.process === 'nemesis').map((x) => x.f));
    for (const f of ['start-partition', 'stop-partition', 'start-kill', 'stop-kill', 'start-pause', 'stop-pause']) expect(fs.has(f), f).toBe(true);

    // Pair client ops and look at those invoked at a minority member while a partition held.
    const nodes = ['n1', 'n2', 'n3'];
    const open = new Map<Op['process'], Op>();
    const pairs: { inv: Op; done: Op }[] = [];
    for (const x of ops) {
      if (x.process === 'nemesis') continue;
      if (x.type === 'invoke') open.set(x.process, x);
      else {
        pairs.push({ inv: open.get(x.process)!, done: x });
        open.delete(x.process);
      }
    }
    let cutOffOps = 0;
    for (const w of partitionWindows(ops)) {
      const cut = new Set(minority(w.grudge, nodes));
      for (const { inv, done } of pairs) {
        if (!cut.has(inv.node!) || inv.time! <= w.start || inv.time! >= w.end) continue;
        cutOffOps++;
        if (done.type === 'ok') expect(done.time!, `${inv.f} at ${inv.node} (index ${inv.index}) succeeded inside ${JSON.stringify(w.grudge)}`).toBeGreaterThan(w.end);
      }
    }
    expect(cutOffOps, 'ops invoked at members cut off from a majority').toBeGreaterThan(0);
    const lastHeal = Math.max(...ops.filter((x) => x.process === 'nemesis' && x.f.startsWith('stop-')).map((x) => x.time!));
    for (const n of nodes) expect(pairs.some(({ inv, done }) => inv.node === n && inv.time! > lastHeal && done.type === 'ok'), `${n} serves after the heal`).toBe(true);

    const test = JSON.parse(readFileSync(join(o.dir, 'test.json'), 'utf8'));
    expect((await listNamespaces()).filter((ns) => ns.includes(test.faultline.runId))).toEqual([]);
  });

  it('list-append (serializable txns) with partitions: valid', async () => {
    const o = await run(
      resolveConfig({
        store,
        target: { type: 'etcd', nodes: 3 },
        workload: { name: 'list-append', options: { consistencyModels: ['serializable'] } },
        nemesis: { faults: ['partition'], interval: 1.5 },
        timeLimit: 10,
        rate: 100,
        concurrency: 6,
        quiesce: 1,
        opTimeout: 2,
        seed: 6,
      }),
    );
    expect(o.exitCode, explain(o)).toBe(0);
    expect(history(o).some((x) => x.f === 'start-partition')).toBe(true);
    expect(o.results.invocations).toBeGreaterThan(100);
  });
});
