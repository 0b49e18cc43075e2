// Replicated PostgreSQL (`faultline test --target postgres --replicas N`: systems/postgres-patroni.json,
// a primary and streaming standbys, failover by Patroni with etcd as its store) through the CLI as a
// user runs it, with the evidence from the servers as well as the history: who was primary when
// (each node's observer log: Patroni's role and timeline, and pg_stat_replication on the primary, every
// 0.5 s) and what Patroni did (its log: "promoted self to leader", "demoting self").
//   - asynchronous replication, the primary cut off: Patroni fails over and the adds the old primary
//     acknowledged after the cut are lost (set-full), all of them acknowledged by the old primary
//     before its Patroni demoted it;
//   - one synchronous standby, the same cut: a failover, and no acknowledged add lost;
//   - reads on standbys are stale (staleness measured) and are not serializable: a fixed
//     interleaving on the real cluster commits a read-only transaction on a standby that no serial
//     order explains, and faultline's checker says so (G2-item);
//   - serializable on the primary stays serializable across a failover (synchronous);
//   - SIGKILL of faultline mid-run, then `faultline heal --run ID`: nothing of the run is left.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, describe, expect, type ExpectStatic, it } from 'vitest';
import { run as exec } from '../../control/local.js';
import { listNamespaces } from '../../control/namespaces.js';
import { createNetwork, newRunId } from '../../control/network.js';
import type { Op } from '../../histories/op.js';
import { microOpStatement } from '../../targets/postgres/sql.js';
import { readSystemDescription, systemPath } from '../../targets/system/description.js';
import { createLocalSystem } from '../../targets/system/local.js';
import { until } from '../helpers/wait.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const cwd = mkdtempSync(join(tmpdir(), 'faultline-pgrep-'));
// PostgreSQL runs as the postgres account, which must be able to enter the store (mkdtemp makes it 0700).
chmodSync(cwd, 0o711);
// A failed test keeps the stores (histories, each node's Patroni, PostgreSQL and observer logs) and says where.
let keep = false;
afterAll(() => (keep ? console.log(`postgres-replicated: a test failed; its runs are kept in ${cwd}`) : rmSync(cwd, { recursive: true, force: true })));

function faultline(args: string[], timeout = 300_000) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, all: true, timeout });
}

/** A test run in its own store; resolves with the result and the run's folder. */
async function test(store: string, args: string[]) {
  const r = await faultline(['test', '--store', join(cwd, store), '--no-progress', '--target', 'postgres', '--replicas', '2', ...args]);
  const latest = join(cwd, store, 'latest');
  const dir = existsSync(latest) ? resolve(join(cwd, store), readlinkSync(latest)) : undefined;
  return { ...r, dir };
}

const history = (dir: string): Op[] => readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);
const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
const runIdOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8')).faultline.runId as string;

interface Observed {
  t: number;
  role?: string;
  state?: string;
  timeline?: number;
  replication?: { name: string; state: string; sync: string }[];
}

/** A node's observer log: Patroni's view of it every 0.5 s (when it changes, and every ~5 s). */
function observed(dir: string, node: string): Observed[] {
  return readFileSync(join(dir, 'logs', node, 'observer.log'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Observed);
}

const isPrimary = (o: Observed) => o.role === 'master' || o.role === 'primary';

/** Times (ms since the epoch) of the lines of a node's Patroni log that match. */
function patroniEvents(dir: string, node: string, re: RegExp): number[] {
  return readFileSync(join(dir, 'logs', node, 'patroni.log'), 'utf8')
    .split('\n')
    .filter((l) => re.test(l))
    .map((l) => Date.parse(`${l.slice(0, 19).replace(' ', 'T')}.${l.slice(20, 23)}Z`));
}

/** ms since the epoch of a history time: the completions carry both (answeredAt, this machine's clock). */
function wallClock(ops: readonly Op[]): (time: number) => number {
  const offsets = ops.filter((o) => typeof o.answeredAt === 'number').map((o) => (o.answeredAt as number) - o.time! / 1e6);
  offsets.sort((a, b) => a - b);
  const offset = offsets[Math.floor(offsets.length / 2)];
  return (time) => time / 1e6 + offset;
}

/**
 * Who became leader after `at`, in order. Patroni says "promoted self to leader by acquiring
 * session lock" when a standby wins the race, and "... because I had the session lock" when a
 * node that was leader keeps or takes the lock back. Patroni 3.0.2 (Debian 12) may take it back
 * from another: an old primary back from the cut whose lease had expired overwrote the
 * successor's leader key (docs/findings/patroni-3.0.2-leader-key-overwrite; fixed upstream in 3.0.3).
 * Twice in four runs beside two busy cores; the second change went unnoticed and its lost adds
 * were blamed on the cut.
 */
function leaderChanges(dir: string, at: number): { node: string; t: number }[] {
  const promotions = NODES.flatMap((node) => patroniEvents(dir, node, /promoted self to leader (by acquiring session lock|because I had the session lock)/).filter((t) => t > at).map((t) => ({ node, t }))).sort((a, b) => a.t - b.t);
  // A leader that promotes itself again (its PostgreSQL restarted under it) is no change of hands.
  return promotions.filter((p, k) => k === 0 || promotions[k - 1].node !== p.node);
}

/** Adds acknowledged and missing from the last final read. */
function lostAcknowledged(ops: readonly Op[]): Op[] {
  const last = new Set(ops.filter((o) => o.final && o.type === 'ok' && o.f === 'read').at(-1)!.value as unknown[]);
  return ops.filter((o) => o.type === 'ok' && o.f === 'add' && !last.has(o.value));
}

/**
 * When the lock changed hands more than once after the cut (a loaded machine; Patroni 3.0.2 lets
 * an old leader overwrite the key, see leaderChanges): whatever was lost, a leader that later lost
 * the lock acknowledged it, and the final reads are the last leader's.
 */
function expectLossesOnlyFromReplacedLeaders(expect: ExpectStatic, ops: readonly Op[], lostOk: readonly Op[], oldPrimary: string, changes: { node: string }[]): void {
  const lastLeader = changes.at(-1)!.node;
  const replaced = new Set([oldPrimary, ...changes.map((c) => c.node)].filter((n) => n !== lastLeader));
  const finalReads = ops.filter((o) => o.final && o.f === 'read' && o.type === 'ok');
  console.log(`cut of ${oldPrimary}: the lock went to ${changes.map((c) => c.node).join(' then ')}; ${lostOk.length} acknowledged adds lost, by ${[...new Set(lostOk.map((o) => o.server))].join(', ')}`);
  expect(finalReads.map((o) => o.server)).toEqual(finalReads.map(() => lastLeader));
  for (const o of lostOk) expect(replaced.has(o.server as string), `lost add of ${String(o.value)} acknowledged by ${String(o.server)}, not by a leader that lost the lock (${[...replaced].join(', ')})`).toBe(true);
}

/**
 * A cut run whose premise held: one failover. On a loaded machine (CI's 2 cores with the unit tests
 * beside) a Patroni loop can miss its TTL after the heal and hand the lock on again, losing what the
 * successor acknowledged (asynchronously, or before its synchronous standby streamed): a second
 * failover this test does not study. Such a run is said and run once more, in a new store.
 */
async function oneFailoverRun(store: string, args: string[]) {
  for (let attempt = 1; ; attempt++) {
    const r = await test(`${store}-${attempt}`, args);
    if (r.dir === undefined || !existsSync(join(r.dir, 'history.jsonl'))) return r;
    const changes = leaderChanges(r.dir, firstCut(history(r.dir)).at);
    if (changes.length <= 1 || attempt === 2) return r;
    console.log(`${store}, attempt ${attempt}: ${changes.length} leader changes after the cut (${changes.map((c) => c.node).join(' then ')}): another failover, the machine too loaded for Patroni's 8 s TTL; running again`);
  }
}

/** The node the first primaries partition cut off, and when (ms since the epoch). */
function firstCut(ops: readonly Op[]): { node: string; at: number; healed: number } {
  const wall = wallClock(ops);
  const start = ops.find((o) => o.process === 'nemesis' && o.f === 'start-partition' && o.value !== null && typeof o.value === 'object')!;
  const grudge = start.value as Record<string, string[]>;
  const node = Object.keys(grudge).find((n) => grudge[n].length === Object.keys(grudge).length - 1)!;
  const stop = ops.find((o) => o.process === 'nemesis' && o.f === 'stop-partition' && o.index > start.index)!;
  return { node, at: wall(start.time!), healed: wall(stop.time!) };
}

/** The primary just before `at`, from the observers. */
function primaryAt(dir: string, nodes: readonly string[], at: number): { node: string; seen: Observed } {
  for (const n of nodes) {
    const before = observed(dir, n).filter((o) => o.t < at);
    const last = before.at(-1);
    if (last && isPrimary(last)) return { node: n, seen: last };
  }
  throw new Error(`no observer saw a primary before ${new Date(at).toISOString()}`);
}


async function expectNothingLeft(dir: string): Promise<void> {
  const runId = runIdOf(dir);
  expect(listNamespaces().filter((ns) => ns.startsWith(`fl-${runId}-`))).toEqual([]);
  expect((await exec(['iptables', '-w', '-S'])).stdout).not.toContain(`faultline:${runId}`);
  expect(processesMentioning(dir)).toEqual([]);
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`fl-${runId}-`))).toEqual([]);
}

const NODES = ['n1', 'n2', 'n3'];
/** A run: Patroni's bootstrap (initdb, two base backups), the run, the 15 s quiesce, the check, with five clusters at once on 2 cores. */
const RUN_MS = 300_000;
// One cut: 3 s of quiet, 15 s held, and the run ends before the next would start at 21 s (a second
// cut of the new primary, even for a second, can make it demote itself and lose what it acknowledged:
// a CI run saw 52 acknowledged adds of the successor lost that way, which this test does not study).
const CUT = ['--nemesis', 'partition', '--partitions', 'primaries', '--nemesis-interval', '3', '--nemesis-hold', '15', '--time-limit', '20', '--concurrency', '6', '--seed', '7'];

// Each run has its own cluster and namespaces and mostly waits (Patroni's 8 s leader TTL, the 15 s
// quiesce), so they overlap well on 2 cores (vitest runs five at a time).
describe.concurrent('--target postgres --replicas 2: failover', () => {
  it('asynchronous, the primary cut off: Patroni fails over, and adds the old primary acknowledged before it demoted itself are lost', async ({ expect, onTestFailed }) => {
    // The test's own hook: vitest's global onTestFailed, called in a concurrent test, never ran.
    onTestFailed(() => void (keep = true));
    const r = await oneFailoverRun('async-cut', ['--workload', 'set', ...CUT]);
    expect(r.dir, r.all).toBeDefined();
    const dir = r.dir!;
    const set = results(dir)['set-full'];
    const ops = history(dir);
    const cut = firstCut(ops);
    const old = primaryAt(dir, NODES, cut.at);
    // Before the cut: the primary streamed to both standbys, asynchronously.
    expect(old.seen.replication?.filter((s) => s.state === 'streaming' && s.sync === 'async')).toHaveLength(2);
    expect(cut.node).toBe(old.node);
    // Patroni: the old primary demoted itself, another node took the leader lock on a newer timeline.
    const demoted = patroniEvents(dir, old.node, /demoting self because DCS is not accessible/).filter((t) => t > cut.at)[0];
    expect(demoted, 'the old primary never demoted itself').toBeDefined();
    const successor = NODES.filter((n) => n !== old.node).find((n) => patroniEvents(dir, n, /promoted self to leader/).some((t) => t > cut.at && t < cut.healed + 5000));
    expect(successor, 'no standby was promoted').toBeDefined();
    const changes = leaderChanges(dir, cut.at);
    expect(observed(dir, successor!).some((o) => isPrimary(o) && (o.timeline ?? 0) > (old.seen.timeline ?? 0))).toBe(true);
    const wall = wallClock(ops);
    // Acknowledged adds the last final read lacks (set-full's list of lost elements stops at 100).
    const lostOk = lostAcknowledged(ops);
    if (changes.length > 1) {
      // Both attempts saw the lock change hands again: the loss is still reported, and explained.
      expectLossesOnlyFromReplacedLeaders(expect, ops, lostOk, old.node, changes);
      expect(r.exitCode, r.all).toBe(1);
      expect(lostOk.length).toBeGreaterThan(0);
      await expectNothingLeft(dir);
      return;
    }
    expect(changes.map((c) => c.node), 'one failover after the cut, to the successor').toEqual([successor]);
    const lastByOld = Math.max(...ops.filter((o) => o.type === 'ok' && o.f === 'add' && o.server === old.node && wall(o.time!) > cut.at).map((o) => o.answeredAt as number));
    console.log(
      `async cut of ${old.node}: ${set.lostCount} of ${set.attemptCount} adds lost (${lostOk.length} acknowledged, by ${[...new Set(lostOk.map((o) => o.server))].join(', ')}); ` +
        `${old.node} demoted ${Math.round(demoted! - cut.at)} ms after the cut, ${successor} promoted; the old primary's last acknowledged add came ${Math.round(lastByOld - demoted!)} ms after its demotion began; ` +
        `the lock taken after the cut by ${leaderChanges(dir, cut.at).map((c) => c.node).join(' then ') || 'no node'}`,
    );
    expect(r.exitCode, r.all).toBe(1);
    expect(set.lostCount).toBeGreaterThan(0);
    expect(lostOk.length).toBeGreaterThan(0);
    // Every acknowledged add lost was acknowledged by the old primary, and (but for what was still
    // replicating when the cut came) after the cut.
    const finals = ops.filter((o) => o.final && o.f === 'read' && o.type !== 'invoke').map((o) => `${o.type} on ${o.server}: ${Array.isArray(o.value) ? o.value.length : o.value} elements`);
    for (const o of lostOk) {
      expect(o.server, `lost add of ${String(o.value)}, acknowledged at ${new Date(o.answeredAt as number).toISOString()} (cut at ${new Date(cut.at).toISOString()}, healed ${new Date(cut.healed).toISOString()}); final reads: ${finals.join('; ')}`).toBe(old.node);
      expect(o.answeredAt as number).toBeGreaterThan(cut.at - 1000);
    }
    // A partitioned old primary does not keep accepting writes once Patroni demotes it (1 s: its
    // shutdown ends the connections of transactions already committing).
    expect(lastByOld).toBeLessThan(demoted! + 1000);
    await expectNothingLeft(dir);
  }, 2 * RUN_MS);

  it('one synchronous standby, the same cut: a failover, and no acknowledged add lost', async ({ expect, onTestFailed }) => {
    // The test's own hook: vitest's global onTestFailed, called in a concurrent test, never ran.
    onTestFailed(() => void (keep = true));
    const r = await oneFailoverRun('sync-cut', ['--workload', 'set', '--sync-standbys', '1', ...CUT]);
    expect(r.dir, r.all).toBeDefined();
    const dir = r.dir!;
    const set = results(dir)['set-full'];
    const ops = history(dir);
    const cut = firstCut(ops);
    const old = primaryAt(dir, NODES, cut.at);
    expect(old.seen.replication?.filter((s) => s.state === 'streaming' && s.sync === 'sync')).toHaveLength(1);
    const successor = NODES.filter((n) => n !== old.node).find((n) => patroniEvents(dir, n, /promoted self to leader/).some((t) => t > cut.at && t < cut.healed + 5000));
    const wall = wallClock(ops);
    const ackedByOldAfterCut = ops.filter((o) => o.type === 'ok' && o.f === 'add' && o.server === old.node && wall(o.time!) > cut.at + 500).length;
    const unconfirmed = ops.filter((o) => o.type === 'info' && String(o.error).includes('sync-not-confirmed')).length;
    console.log(`sync cut of ${old.node}: ${set.lostCount} of ${set.attemptCount} adds lost; ${successor ?? 'no node'} promoted; ${ackedByOldAfterCut} adds acknowledged by the old primary after the cut; ${unconfirmed} commits whose synchronous wait was cancelled (info); the lock taken after the cut by ${leaderChanges(dir, cut.at).map((c) => c.node).join(' then ') || 'no node'}`);
    expect(successor, 'no standby was promoted').toBeDefined();
    const changes = leaderChanges(dir, cut.at);
    if (changes.length > 1) {
      // Both attempts saw the lock change hands again.
      const lostOk = lostAcknowledged(ops);
      expectLossesOnlyFromReplacedLeaders(expect, ops, lostOk, old.node, changes);
      expect(r.exitCode, r.all).toBe(lostOk.length > 0 ? 1 : 0);
      await expectNothingLeft(dir);
      return;
    }
    expect(changes.map((c) => c.node), 'one failover after the cut, to the successor').toEqual([successor]);
    expect(r.exitCode, r.all).toBe(0);
    expect(set.lostCount).toBe(0);
    expect(ackedByOldAfterCut).toBe(0);
    await expectNothingLeft(dir);
  }, 2 * RUN_MS);

  it('reads on standbys are stale, each served by the client\'s own node', async ({ expect }) => {
    // The standbys apply each commit 300 ms late (recovery_min_apply_delay): on the same host a
    // standby otherwise applies within a millisecond, and on a loaded CI machine the clients were
    // too slow to catch it (0 of 188 reads stale, 2026-12-07).
    const r = await test('standby-reads', ['--workload', 'register', '--read-from', 'replica', '--option', 'standbyApplyDelay=300ms', '--time-limit', '15', '--concurrency', '16', '--rate', '1000']);
    expect(r.dir, r.all).toBeDefined();
    const dir = r.dir!;
    const staleness = results(dir).staleness;
    const reads = history(r.dir!).filter((o) => o.type === 'ok' && o.f === 'read');
    console.log(`standby reads: ${staleness.stale} of ${staleness.reads} reads stale, up to ${staleness.versionsBehind?.max} versions behind, out of date by up to ${staleness.supersededMs?.max} ms`);
    expect(r.exitCode, r.all).toBe(1);
    expect(staleness.stale).toBeGreaterThan(0);
    expect(reads.length).toBeGreaterThan(100);
    expect(reads.every((o) => o.server === o.node)).toBe(true);
    await expectNothingLeft(dir);
  }, RUN_MS);
});

describe.concurrent('--target postgres --replicas 2: isolation, and heal', () => {
  it('a read-only transaction on a standby commits what no serial order explains: the checker finds a G2-item', async ({ expect }) => {
    // The cluster as a test uses it: the description, in namespaces, through faultline's client side.
    const runId = `pr${newRunId()}`.slice(0, 12);
    const dir = join(cwd, 'interleaving');
    const network = await createNetwork(NODES, { runId });
    const target = createLocalSystem({ description: readSystemDescription(systemPath('postgres-patroni')), network, dir, settings: { workload: 'list-append' } });
    const conns: pg.Client[] = [];
    try {
      await target.setup();
      const [primary] = await target.primaries();
      const standby = NODES.find((n) => n !== primary)!;
      const connect = async (node: string) => {
        const socket = target.address(node);
        const c = new pg.Client({ host: socket.slice(0, socket.lastIndexOf('/')), port: 5432, user: 'postgres', database: 'postgres' });
        await c.connect();
        conns.push(c);
        return c;
      };
      const [t1, t2, reader, poll] = [await connect(primary), await connect(primary), await connect(standby), await connect(standby)];
      const q = (c: pg.Client, m: [string, number, unknown]) => c.query(microOpStatement('list-append', m));
      const list = (rows: { v?: unknown }[]) => (rows.length === 0 ? [] : rows[0].v);
      // T1 reads x and appends to y; T2 appends to x and commits first. SSI allows it (T1 then T2).
      await t1.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      const t1x = list((await q(t1, ['r', 1, null])).rows);
      await q(t1, ['append', 2, 1]);
      await t2.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await q(t2, ['append', 1, 1]);
      await t2.query('COMMIT');
      // The standby has replayed T2: a read-only transaction there sees T2 and not T1 (not committed yet).
      for (let i = 0; JSON.stringify(list((await q(poll, ['r', 1, null])).rows)) !== '[1]'; i++) {
        if (i > 500) throw new Error(`the standby ${standby} did not replay T2 within 10 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const rx = list((await q(reader, ['r', 1, null])).rows);
      const ry = list((await q(reader, ['r', 2, null])).rows);
      await reader.query('COMMIT');
      await t1.query('COMMIT'); // the primary knows nothing of the reader: T1 commits
      const fx = list((await q(t2, ['r', 1, null])).rows);
      const fy = list((await q(t2, ['r', 2, null])).rows);
      expect([t1x, rx, ry, fx, fy]).toEqual([[], [1], [], [1], [1]]);
      // What happened, as a history: T1 rw→ T2 (missed x's 1), T2 wr→ R (saw it), R rw→ T1 (missed y's 1).
      const txns: [number, unknown[]][] = [
        [0, [['r', 1, t1x], ['append', 2, 1]]],
        [1, [['append', 1, 1]]],
        [2, [['r', 1, rx], ['r', 2, ry]]],
        [3, [['r', 1, fx], ['r', 2, fy]]],
      ];
      const lines = txns.flatMap(([p, value], i) => [
        { index: 4 * i, type: 'invoke', process: p, f: 'txn', value: (value as unknown[][]).map((m) => [m[0], m[1], m[0] === 'r' ? null : m[2]]) },
        { index: 4 * i + 1, type: 'ok', process: p, f: 'txn', value },
      ]);
      const file = join(cwd, 'standby-interleaving.jsonl');
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const c = await faultline(['check', '--checker', 'list-append', '--consistency-models', 'serializable', file]);
      console.log(`standby interleaving (primary ${primary}, standby ${standby}): faultline check says ${c.all?.split('\n')[0]}`);
      expect(c.exitCode, c.all).toBe(1);
      expect(c.all).toMatch(/G2-item/);
    } finally {
      await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
      await target.teardown().catch(() => undefined);
      await network.teardown();
    }
  }, RUN_MS);

  it('serializable on the primary stays serializable across a failover (synchronous standby)', async ({ expect }) => {
    // The primary cut off for longer than a failover takes (~12.5 s): a standby takes over.
    const r = await test('serializable', ['--workload', 'list-append', '--sync-standbys', '1', '--nemesis', 'partition', '--partitions', 'primaries', '--nemesis-interval', '3', '--nemesis-hold', '17', '--time-limit', '25', '--concurrency', '6', '--seed', '3']);
    expect(r.dir, r.all).toBeDefined();
    const res = results(r.dir!)['list-append'];
    const servers = new Set(history(r.dir!).filter((o) => o.type === 'ok').map((o) => o.server));
    console.log(`list-append, serializable, the primary cut off: ${res.valid === true ? 'valid' : JSON.stringify(res.anomalyCounts)}; transactions ran on ${[...servers].join(', ')}`);
    // The PostgreSQL finding (docs/findings/postgres-15-serializable-g2-item) can show up, rarely:
    // a G2-item closed by a read-only transaction. Nothing else may.
    if (res.valid !== true) expect(Object.keys(res.anomalyCounts)).toEqual(['G2-item']);
    else expect(r.exitCode, r.all).toBe(0);
    // The primary was cut off: the transactions ran on more than one primary in turn.
    expect(servers.size).toBeGreaterThan(1);
    await expectNothingLeft(r.dir!);
  }, RUN_MS);

  it('SIGKILL of faultline mid-run, then faultline heal --run: nothing of the run is left', async ({ expect }) => {
    const store = join(cwd, 'killed');
    const child = execa(process.execPath, [bin, 'test', '--store', store, '--no-progress', '--target', 'postgres', '--replicas', '2', '--workload', 'set', '--nemesis', 'pause', '--time-limit', '60'], { cwd, reject: false });
    let runDir: string | undefined;
    await until(
      'the run to record ops',
      () => {
        const latest = join(store, 'latest');
        if (!existsSync(latest)) return false;
        runDir = resolve(store, readlinkSync(latest));
        return existsSync(join(runDir, 'history.jsonl')) && readFileSync(join(runDir, 'history.jsonl'), 'utf8').split('\n').length > 50;
      },
      180_000,
    );
    expect(processesMentioning(runDir!).some((p) => p.cmd.includes('patroni'))).toBe(true);
    child.kill('SIGKILL');
    await child;
    const runId = runIdOf(runDir!);
    const heal = await faultline(['heal', '--run', runId]);
    expect(heal.exitCode, heal.all).toBe(0);
    // The guards kill each node's pid namespace (Patroni, PostgreSQL, etcd) when faultline is gone.
    await until('the nodes to die with faultline', () => processesMentioning(runDir!).length === 0, 20_000);
    await expectNothingLeft(runDir!);
  }, RUN_MS);
});
