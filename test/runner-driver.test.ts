// The runner's driver in real time against in-process clients whose answers the test decides:
// Jepsen's process rules, timeouts, phases, nemesis records, and the file it writes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { History } from '../histories/history.js';
import { parseJsonl } from '../histories/jsonl.js';
import { formatHistoryJsonl } from '../histories/write-jsonl.js';
import type { Op } from '../histories/op.js';
import { Driver } from '../runner/driver.js';
import { Recorder } from '../runner/recorder.js';
import { TargetFailed, type Client } from '../targets/types.js';
import { limit, repeat } from '../workloads/generator/combinators.js';
import { clients, nemesis } from '../workloads/generator/threads.js';
import { Random } from '../base/random.js';
import type { GenLike, Invocation } from '../workloads/generator/types.js';

type Answer = (op: Op) => { type: 'ok' | 'fail' | 'info'; value?: unknown; error?: unknown } | 'hang' | 'throw' | 'fatal';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(answer: Answer, o: { concurrency?: number; timeoutMs?: number; nemesis?: (op: Invocation) => Promise<unknown> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-driver-'));
  dirs.push(dir);
  const recorder = new Recorder(join(dir, 'history.jsonl'));
  const opened: string[] = [];
  let closed = 0;
  const client = (node: string): Client => ({
    node,
    async open() {
      opened.push(node);
    },
    async invoke(op, opts) {
      await new Promise((r) => setTimeout(r, 1));
      const a = answer(op);
      if (a === 'throw') throw new Error('connection reset');
      if (a === 'fatal') throw new TargetFailed('adapter n1#0: stdout line 3: not JSON');
      if (a === 'hang') {
        await new Promise((_, reject) => opts?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      return { ...op, ...(a as object) };
    },
    async close() {
      closed++;
    },
  });
  const driver = new Driver({
    concurrency: o.concurrency ?? 2,
    random: new Random(1),
    recorder,
    nodeOf: (t) => `n${(t % 2) + 1}`,
    client,
    nemesis: o.nemesis ?? (async (op) => ({ did: op.f })),
    opTimeoutNs: (o.timeoutMs ?? 2000) * 1e6,
  });
  return { driver, recorder, opened, closed: () => closed, file: join(dir, 'history.jsonl') };
}

const reads = (n: number): GenLike => limit(n, repeat({ f: 'read', value: null }));

describe('Driver', () => {
  it('records every invocation and completion with dense indices, times, nodes, in a file equal to memory', async () => {
    const { driver, recorder, file } = setup(() => ({ type: 'ok', value: 5 }));
    await driver.runPhase(clients(reads(20)));
    await driver.close();
    recorder.close();
    const ops = recorder.ops;
    expect(ops).toHaveLength(40);
    expect(ops.map((o) => o.index)).toEqual([...Array(40).keys()]);
    for (let i = 1; i < ops.length; i++) expect(ops[i].time!).toBeGreaterThanOrEqual(ops[i - 1].time!);
    const h = new History(ops);
    expect(h.invocationCount).toBe(20);
    for (const op of ops) {
      expect(op.node).toBe(`n${((op.process as number) % 2) + 1}`);
      if (op.type === 'ok') expect(op.value).toBe(5);
    }
    expect(parseJsonl(readFileSync(file, 'utf8'), file).ops).toEqual(ops);
    expect(readFileSync(file, 'utf8')).toBe(formatHistoryJsonl(ops)); // canonical field order
  });

  it('after an info the thread continues as process + concurrency with a new client; fail keeps the process', async () => {
    let n = 0;
    const { driver, recorder, opened } = setup(() => {
      n++;
      return n === 3 ? { type: 'info', error: 'lost' } : n === 5 ? 'throw' : n === 7 ? { type: 'fail', error: 'no' } : { type: 'ok' };
    });
    await driver.runPhase(clients(reads(12)));
    await driver.close();
    const h = new History(recorder.ops); // pairing would throw if a crashed process invoked again
    const infos = recorder.ops.filter((o) => o.type === 'info');
    expect(infos).toHaveLength(2);
    expect(infos.map((o) => o.error)).toEqual(['lost', 'connection reset']);
    const processes = new Set(recorder.ops.map((o) => o.process));
    expect([...processes].some((p) => (p as number) >= 2)).toBe(true);
    expect(opened.length).toBe(2 + 2); // one client per thread, and one more after each crash
    expect(h.invocationCount).toBe(12);
  });

  it('a TargetFailed from a client ends that op as info and stops the run with its message; other threads finish', async () => {
    let n = 0;
    const { driver, recorder } = setup(() => (++n === 5 ? 'fatal' : { type: 'ok' }));
    await driver.runPhase(clients(reads(1000)));
    await driver.close();
    expect(driver.failure).toBe('adapter n1#0: stdout line 3: not JSON');
    expect(driver.isStopped).toBe(true);
    const h = new History(recorder.ops);
    expect(h.invocationCount).toBeLessThan(20);
    expect(recorder.ops.filter((o) => o.type === 'info').map((o) => o.error)).toEqual(['adapter n1#0: stdout line 3: not JSON']);
    // Every invocation completed: nothing is left hanging in the history.
    expect(recorder.ops.filter((o) => o.type === 'invoke')).toHaveLength(recorder.ops.filter((o) => o.type !== 'invoke').length);
  });

  it('openClients opens a client per thread before any op, and the ops use them', async () => {
    const { driver, recorder, opened } = setup(() => ({ type: 'ok' }), { concurrency: 4 });
    await driver.openClients();
    expect(opened).toEqual(['n1', 'n2', 'n1', 'n2']);
    await driver.runPhase(clients(reads(8)));
    await driver.close();
    expect(opened).toHaveLength(4); // no thread opened another
    expect(new History(recorder.ops).invocationCount).toBe(8);
  });

  it('a client op that outlives the timeout completes as info and its late answer is dropped', async () => {
    let n = 0;
    const { driver, recorder } = setup(() => (++n === 1 ? 'hang' : { type: 'ok' }), { timeoutMs: 50 });
    await driver.runPhase(clients(reads(4)));
    await driver.close();
    const timedOut = recorder.ops.filter((o) => o.error === 'timeout');
    expect(timedOut).toHaveLength(1);
    expect(timedOut[0].type).toBe('info');
    expect(new History(recorder.ops).invocationCount).toBe(4);
    expect(recorder.ops.filter((o) => o.type !== 'invoke')).toHaveLength(4);
  });

  it('nemesis ops are info pairs with what the fault did; a failed fault records its error', async () => {
    const { driver, recorder } = setup(() => ({ type: 'ok' }), {
      nemesis: async (op) => {
        if (op.f === 'stop-kill') throw new Error('node would not start');
        return ['n1'];
      },
    });
    await driver.runPhase(nemesis([{ f: 'start-kill', value: ['n1'] }, { f: 'stop-kill', value: null }], reads(3)));
    await driver.close();
    const nem = recorder.ops.filter((o) => o.process === 'nemesis');
    expect(nem.map((o) => [o.type, o.f, o.value])).toEqual([
      ['info', 'start-kill', ['n1']],
      ['info', 'start-kill', ['n1']],
      ['info', 'stop-kill', null],
      ['info', 'stop-kill', null],
    ]);
    expect(nem[3].error).toBe('node would not start');
  });

  it('phases share process numbers and indices; final phases mark every op final', async () => {
    let n = 0;
    const { driver, recorder } = setup(() => (++n === 1 ? { type: 'info' } : { type: 'ok' }));
    await driver.runPhase(clients(reads(2)));
    const before = recorder.count;
    await driver.runPhase(clients(reads(2)), { final: true });
    await driver.close();
    const last = recorder.ops.slice(before);
    expect(last.every((o) => o.final === true)).toBe(true);
    expect(recorder.ops.slice(0, before).some((o) => o.final)).toBe(false);
    expect(last.some((o) => (o.process as number) >= 2)).toBe(true); // the crashed process stays retired
    new History(recorder.ops);
  });

  it('stop() ends a phase: no new ops after it, sleeps cut short, ops in flight complete', async () => {
    const { driver, recorder } = setup(() => ({ type: 'ok' }));
    let stoppedAt = Infinity;
    setTimeout(() => {
      stoppedAt = driver.now();
      driver.stop();
    }, 50);
    // The nemesis sleeps 10 minutes: only stop() cutting it short lets the phase end within the test's timeout.
    await driver.runPhase(clients(repeat({ f: 'read', value: null }), [{ type: 'sleep', f: 'sleep', value: 600e9 }]));
    await driver.close();
    expect(recorder.ops.filter((o) => o.type === 'invoke' && o.time! > stoppedAt)).toEqual([]);
    const h = new History(recorder.ops);
    expect(h.invocationCount).toBeGreaterThan(0);
    expect(recorder.ops.filter((o) => o.type === 'invoke')).toHaveLength(recorder.ops.filter((o) => o.type === 'ok').length);
  });
});
