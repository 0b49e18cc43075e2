// What the checkers say about real Redis with Sentinel (each node in its own network namespace),
// driven by the runner's Driver with the workloads' own generators and checkers:
// - primary-only reads, no faults: linearizable;
// - replica reads with a replica cut off from the primary: stale reads, measured by staleness;
// - split brain: the primary cut off from its replicas and Sentinels while clients keep writing to
//   it over its unix socket; the Sentinels fail over; after the heal the old primary becomes a
//   replica and drops what it took: set-full reports those acknowledged adds lost, with their count;
// - the same with WAIT for every replica: no acknowledged add is lost (the old primary's are info).
// Figures (ops/s, failover ms, stale and lost counts) are printed, never asserted as times.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../checker/types.js';
import { listNamespaces } from '../../control/namespaces.js';
import { createNetwork, networkAvailable, type Network } from '../../control/network.js';
import { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { partitionFault, type PartitionFault } from '../../nemesis/partition.js';
import { Driver } from '../../runner/driver.js';
import { Recorder } from '../../runner/recorder.js';
import { createRedisTarget, redisAvailable, type RedisTarget, type RedisTargetOptions } from '../../targets/redis/index.js';
import { clients, sleep, stagger, timeLimit, Random, type GenLike, type Invocation } from '../../workloads/generator/index.js';
import { getWorkload, workloadOptions } from '../../workloads/index.js';

const root = mkdtempSync(join(tmpdir(), 'fl-redis-rc-'));
const runId = `rc${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
let network: Network;
let target: RedisTarget | undefined;
let partition: PartitionFault | undefined;

beforeAll(async () => {
  for (const why of [await redisAvailable(), await networkAvailable()]) if (why !== true) throw new Error(`these tests need Redis in namespaces: ${why}`);
  network = await createNetwork(['n1', 'n2', 'n3'], { runId });
});
afterEach(async () => {
  await partition?.stop();
  partition?.close();
  partition = undefined;
  await target?.teardown();
  target = undefined;
});
afterAll(async () => {
  await network?.teardown();
  expect(listNamespaces().filter((ns) => ns.includes(runId))).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});

const waitMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const S = 1e9;

async function cluster(name: string, o: Omit<RedisTargetOptions, 'dir' | 'network'>): Promise<RedisTarget> {
  target = createRedisTarget({ dir: join(root, name), network, ...o });
  await target.setup();
  partition = partitionFault({ runId, hosts: network.hosts, primaries: () => target!.primaries() });
  return target;
}

interface Drive {
  name: string;
  workload: string;
  workloadOptions?: Record<string, unknown>;
  concurrency: number;
  seconds: number;
  rate: number;
  opTimeoutS: number;
  /** Ops for the nemesis thread: start-/stop-partition (value: a grudge or shape) and await-failover (value: the old primary). */
  nemesis?: GenLike;
  /** Between the main phase and the final reads; gets what each nemesis op did. */
  beforeFinal?: (nemesis: Map<string, unknown>) => Promise<void>;
}

interface Driven {
  ops: Op[];
  result: Result;
  opsPerSecond: number;
  /** What each nemesis op did (its completion value). */
  nemesis: Map<string, unknown>;
}

/** The workload's generator against `t` for `seconds` (with the nemesis ops), then its final reads and checkers. */
async function drive(t: RedisTarget, d: Drive): Promise<Driven> {
  const workload = getWorkload(d.workload);
  const wopts = { ...workloadOptions(workload, d.workloadOptions ?? {}), nodes: t.nodes, concurrency: d.concurrency };
  const recorder = new Recorder(join(root, `${d.name}.jsonl`));
  const done = new Map<string, unknown>();
  const perform = async (op: Invocation): Promise<unknown> => {
    let r: unknown;
    if (op.f === 'start-partition') r = await partition!.start(op.value);
    else if (op.f === 'stop-partition') r = await partition!.stop();
    else if (op.f === 'await-failover') r = await t.waitForFailover(op.value as string, 30_000);
    else throw new Error(`no nemesis op ${op.f}`);
    done.set(op.f, r);
    return r;
  };
  const driver = new Driver({
    concurrency: d.concurrency,
    random: new Random(7),
    recorder,
    nodeOf: (thread) => t.nodes[thread % t.nodes.length],
    client: (node) => t.client(node),
    nemesis: perform,
    opTimeoutNs: d.opTimeoutS * S,
  });
  try {
    const main = timeLimit(d.seconds * S, stagger(S / d.rate, workload.generator(wopts)));
    const t0 = driver.now();
    await driver.runPhase(clients(main, d.nemesis));
    const elapsed = (driver.now() - t0) / S;
    await d.beforeFinal?.(done);
    await driver.runPhase(clients(workload.final!(wopts)), { final: true });
    const history = new History(recorder.ops);
    const result = await workload.checker(wopts).check(history, { deadline: Date.now() + 120_000 });
    const invocations = recorder.ops.filter((o) => o.type === 'invoke' && !o.final).length;
    return { ops: recorder.ops, result, opsPerSecond: Math.round(invocations / elapsed), nemesis: done };
  } finally {
    await driver.close();
    recorder.close();
  }
}

/** Completions by type, for messages. */
function outcomes(ops: Op[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of ops) if (o.process !== 'nemesis' && o.type !== 'invoke') out[o.type] = (out[o.type] ?? 0) + 1;
  return out;
}

/** Polls until every replica's offset has reached the primary's. */
async function untilCaughtUp(t: RedisTarget, primary: string, replicas: string[], limitMs: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const p = await t.replication(primary);
    const rs = await Promise.all(replicas.map((n) => t.replication(n).catch(() => undefined)));
    if (rs.every((r) => r?.linkUp && r.offset !== undefined && r.offset >= p.offset!)) return;
    if (Date.now() - t0 > limitMs) throw new Error(`replicas did not catch up with ${primary} (offset ${p.offset}) in ${limitMs} ms: ${JSON.stringify(rs)}`);
    await waitMs(100);
  }
}

/** The ok adds whose element the last final read does not hold (the set checker's lost). */
function ackedLost(ops: Op[]): Op[] {
  const finalRead = ops.filter((o) => o.final && o.type === 'ok' && o.f === 'read').at(-1);
  if (!finalRead) throw new Error('no final read succeeded');
  const held = new Set((finalRead.value as number[]).map(Number));
  const adds = ops.filter((o) => o.type === 'ok' && o.f === 'add');
  return adds.filter((o) => !held.has(o.value as number));
}

/** Polls until `node`'s server replicates `primary`: after a heal, Sentinel demotes an old primary once it has looked sane for 8 s. */
async function untilReplicaOf(t: RedisTarget, node: string, primary: string, limitMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const r = await t.replication(node).catch(() => undefined);
    if (r?.role === 'slave' && r.primary === primary && r.linkUp) return Date.now() - t0;
    if (Date.now() - t0 > limitMs) throw new Error(`${node} does not replicate ${primary} after ${limitMs} ms: ${JSON.stringify(r)}`);
    await waitMs(100);
  }
}

describe('redis with Sentinel: what the checkers find', () => {
  it('primary-only reads, no faults: the register is linearizable', async () => {
    const t = await cluster('linearizable', { workload: 'register', readFrom: 'primary' });
    const r = await drive(t, { name: 'linearizable', workload: 'register', workloadOptions: { keys: 3 }, concurrency: 6, seconds: 6, rate: 300, opTimeoutS: 2 });
    const lin = r.result.linearizable as Result;
    const stale = r.result.staleness as Result;
    console.log(`redis linearizable: ${r.opsPerSecond} ops/s, ${JSON.stringify(outcomes(r.ops))}, stale reads ${String(stale.stale)}`);
    expect(lin.valid, JSON.stringify(lin).slice(0, 600)).toBe(true);
    expect(r.result.valid, String(r.result.explanation)).toBe(true);
    expect(stale.stale).toBe(0);
    expect(outcomes(r.ops).ok).toBeGreaterThan(500);
  });

  it('replica reads while a replica is cut off from the primary: stale reads, measured', async () => {
    const t = await cluster('stale', { workload: 'register', readFrom: 'replica' });
    // n3 alone: its replication link and its Sentinel are cut; n1's and n2's Sentinels (a quorum) still see the primary, so nothing fails over.
    const isolateN3 = { n1: ['n3'], n2: ['n3'], n3: ['n1', 'n2'] };
    const r = await drive(t, {
      name: 'stale',
      workload: 'register',
      workloadOptions: { keys: 3 },
      concurrency: 6,
      seconds: 8,
      rate: 300,
      opTimeoutS: 2,
      nemesis: [sleep(1.5 * S), { f: 'start-partition', value: isolateN3 }, sleep(4 * S), { f: 'stop-partition', value: null }],
      // After the heal n3's replication link resumes at TCP's next retransmission: wait until it has caught up.
      beforeFinal: () => untilCaughtUp(t, 'n1', ['n2', 'n3'], 30_000),
    });
    const stale = r.result.staleness as Result & { stale: number; reads: number; byNode: Record<string, { stale: number; reads: number }>; lagMs: unknown; versionsBehind: unknown };
    const lin = r.result.linearizable as Result;
    console.log(
      `redis stale reads: ${r.opsPerSecond} ops/s; ${stale.stale} of ${stale.reads} reads stale (n1 ${stale.byNode.n1?.stale}, n2 ${stale.byNode.n2?.stale}, n3 ${stale.byNode.n3?.stale}); ` +
        `lag ${JSON.stringify(stale.lagMs)}, versions behind ${JSON.stringify(stale.versionsBehind)}`,
    );
    expect(await t.primaries()).toEqual(['n1']);
    expect(stale.byNode.n3.stale).toBeGreaterThan(0);
    expect(stale.valid, String(stale.explanation)).toBe(true); // stale is not invalid; the final reads agree
    expect(lin.valid).toBe(false);
  });

  /** The split brain, with writes acknowledged by the primary alone or after WAIT for every replica. */
  async function splitBrain(name: string, waitReplicas: number) {
    const t = await cluster(name, { workload: 'set', readFrom: 'primary', waitReplicas });
    let demotedMs = 0;
    const r = await drive(t, {
      name,
      workload: 'set',
      concurrency: 6,
      seconds: 20,
      rate: 200,
      opTimeoutS: 3,
      // Heal 2 s after the Sentinels have failed over; the clients go on writing for the rest of the 20 s.
      nemesis: [sleep(2 * S), { f: 'start-partition', value: 'primaries' }, { f: 'await-failover', value: 'n1' }, sleep(2 * S), { f: 'stop-partition', value: null }],
      // The old primary drops what it took only when Sentinel demotes it: wait for that before the final reads.
      beforeFinal: async (nemesis) => {
        demotedMs = await untilReplicaOf(t, 'n1', (nemesis.get('await-failover') as { primary: string }).primary, 40_000);
      },
    });
    const failover = r.nemesis.get('await-failover') as { primary: string; ms: number };
    const grudge = r.nemesis.get('start-partition') as Record<string, string[]>;
    const set = r.result['set-full'] as Result & { lostCount: number; stableCount: number; attemptCount: number; staleCount: number; neverReadCount: number };
    const kinds = outcomes(r.ops);
    const acked = ackedLost(r.ops);
    console.log(
      `redis split brain (waitReplicas ${waitReplicas}): ${r.opsPerSecond} ops/s; partition ${JSON.stringify(grudge)}; failover to ${failover.primary} ${failover.ms} ms after the cut; ` +
        `n1 demoted ${demotedMs} ms after the main phase; adds ${set.attemptCount}, acknowledged adds lost ${acked.length}, set-full lost ${set.lostCount}, stable ${set.stableCount}, stale ${set.staleCount}, never read ${set.neverReadCount}; ${JSON.stringify(kinds)}`,
    );
    expect(grudge).toEqual({ n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] });
    return { r, set, failover, acked };
  }

  it('split brain: acknowledged writes to the cut-off primary are lost, and set-full counts them', async () => {
    const { r, set, acked } = await splitBrain('split-brain', 0);
    expect(set.valid).toBe(false);
    expect(acked.length).toBeGreaterThan(0);
    // set-full counts them all (and also elements of unknown adds that a read saw, then lost).
    expect(set.lostCount).toBeGreaterThanOrEqual(acked.length);
    expect(String(set.explanation)).toMatch(/elements? lost/);
    // Every lost acknowledged add was invoked after the partition began.
    const cut = r.ops.find((o) => o.process === 'nemesis' && o.f === 'start-partition')!.time!;
    for (const o of acked) expect(o.time!).toBeGreaterThan(cut);
  });

  it('split brain with WAIT for every replica: the cut-off primary acknowledges nothing, and nothing acknowledged is lost', async () => {
    const { r, acked } = await splitBrain('split-brain-wait', 2);
    expect(acked).toEqual([]);
    expect(r.ops.some((o) => o.type === 'info' && /WAIT saw 0 of 2 replicas/.test(String(o.error)))).toBe(true);
  });
});
