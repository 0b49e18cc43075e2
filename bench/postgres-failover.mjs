#!/usr/bin/env node
// Measures replicated PostgreSQL (--target postgres --replicas 2, systems/postgres-patroni.json) for
// the README's table: per mode (asynchronous, one synchronous standby) and fault, over several runs
// of the set workload: how long until a standby was promoted after the primary was cut off or
// killed (Patroni's log), how long the old primary took to demote itself, the adds lost (set-full)
// and how many of them had been acknowledged, the longest stretch without an acknowledged add, and
// the standbys' replay lag as the primary's pg_stat_replication reported it (observer logs).
//
//   node bench/postgres-failover.mjs [--runs 3] [--store /tmp/pg-failover] [--parallel 2] [--analyse-only]
// (--analyse-only: no new runs; the summary of the runs already in the store. --first N: run
// numbers (and seeds 100 + N) start at N; --faults kill: only those faults.)
// Needs root (namespaces) and a build (npx tsc -p tsconfig.build.json). Prints one JSON line per
// run, then a summary per mode and fault.
import { existsSync, mkdirSync, chmodSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';

const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '3' }, store: { type: 'string', default: '/tmp/pg-failover' }, parallel: { type: 'string', default: '2' }, 'analyse-only': { type: 'boolean', default: false }, first: { type: 'string', default: '1' }, faults: { type: 'string' } } });
const RUNS = Number(opt.runs);
const store = resolve(opt.store);
mkdirSync(store, { recursive: true });
chmodSync(store, 0o711); // PostgreSQL runs as postgres and must enter it
const bin = resolve('bin/faultline.js');
const NODES = ['n1', 'n2', 'n3'];

const MODES = {
  async: [],
  sync1: ['--sync-standbys', '1'],
};
const FAULTS = {
  // The primary alone cut off for 15 s, three times a run.
  'partition primary': ['--nemesis', 'partition', '--partitions', 'primaries', '--nemesis-interval', '3', '--nemesis-hold', '15', '--time-limit', '54'],
  // A random node killed for 15 s (the primary in about a third of the rounds).
  kill: ['--nemesis', 'kill', '--nemesis-interval', '3', '--nemesis-hold', '15', '--time-limit', '54'],
};

const lines = (p) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);
const observed = (dir, n) => lines(join(dir, 'logs', n, 'observer.log')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const isPrimary = (o) => o.role === 'master' || o.role === 'primary';
const patroni = (dir, n, re) => lines(join(dir, 'logs', n, 'patroni.log')).filter((l) => re.test(l)).map((l) => Date.parse(`${l.slice(0, 19).replace(' ', 'T')}.${l.slice(20, 23)}Z`));
const pct = (xs, p) => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]);

function analyse(dir) {
  const ops = lines(join(dir, 'history.jsonl')).map((l) => JSON.parse(l));
  const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const set = res['set-full'] ?? {};
  const offsets = ops.filter((o) => typeof o.answeredAt === 'number').map((o) => o.answeredAt - o.time / 1e6).sort((a, b) => a - b);
  const off = offsets[Math.floor(offsets.length / 2)];
  const wall = (t) => t / 1e6 + off;
  const primaryAt = (t) => NODES.find((n) => { const b = observed(dir, n).filter((o) => o.t < t).at(-1); return b && isPrimary(b); });
  const rounds = [];
  // Each nemesis op is recorded twice (invocation, completion): the completion names what was done.
  const nemesis = ops.filter((o) => o.process === 'nemesis');
  const starts = nemesis.filter((o, i) => o.f.startsWith('start-') && nemesis[i + 1]?.f !== o.f && o.value !== null && o.value !== 'primaries');
  for (const s of starts) {
    const at = wall(s.time);
    const before = primaryAt(at);
    const hit = s.f === 'start-kill' ? s.value.includes(before) : Array.isArray(s.value?.[before]) && s.value[before].length === NODES.length - 1;
    if (!hit) continue;
    const promoted = NODES.filter((n) => n !== before).flatMap((n) => patroni(dir, n, /promoted self to leader/).filter((t) => t > at && t < at + 30_000)).sort((a, b) => a - b)[0];
    const demoted = patroni(dir, before, /demoting self because DCS is not accessible/).filter((t) => t > at && t < at + 30_000)[0];
    rounds.push({ fault: s.f.slice(6), old: before, failoverMs: promoted === undefined ? null : Math.round(promoted - at), demoteMs: demoted === undefined ? null : Math.round(demoted - at) });
  }
  // Acknowledged adds the last final read does not hold (set-full's own list of lost elements is cut at 100).
  const okAdds = ops.filter((o) => o.type === 'ok' && o.f === 'add');
  const finalRead = ops.filter((o) => o.final && o.type === 'ok' && o.f === 'read').at(-1);
  const last = new Set(finalRead?.value ?? []);
  const ackedLost = finalRead === undefined ? null : okAdds.filter((o) => !last.has(o.value)).length;
  const okTimes = okAdds.map((o) => o.time / 1e9).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < okTimes.length; i++) gap = Math.max(gap, okTimes[i] - okTimes[i - 1]);
  const lags = NODES.flatMap((n) => observed(dir, n).flatMap((o) => (o.replication ?? []).map((r) => r.replay_lag_ms).filter((x) => typeof x === 'number')));
  return { valid: res.valid, lost: set.lostCount ?? null, ackedLost, attempts: set.attemptCount ?? null, rounds, longestNoWriteS: Math.round(gap * 10) / 10, lagP50Ms: pct(lags, 0.5), lagMaxMs: lags.length ? Math.max(...lags) : null };
}

async function one(mode, fault, i) {
  const s = join(store, `${mode}-${fault.replace(' ', '-')}-${i}`);
  const r = await execa(process.execPath, [bin, 'test', '--store', s, '--no-progress', '--target', 'postgres', '--replicas', '2', '--workload', 'set', '--concurrency', '6', '--seed', String(100 + i), ...MODES[mode], ...FAULTS[fault]], { reject: false, all: true, timeout: 600_000 });
  const latest = join(s, 'latest');
  const dir = existsSync(latest) ? resolve(s, readlinkSync(latest)) : undefined;
  const out = { mode, fault, run: i, exit: r.exitCode, dir, ...(dir && existsSync(join(dir, 'results.json')) ? analyse(dir) : { error: r.all?.split('\n').slice(-3).join(' ') }) };
  console.log(JSON.stringify(out));
  return out;
}

const jobs = [];
const FIRST = Number(opt.first);
const faults = opt.faults === undefined ? Object.keys(FAULTS) : opt.faults.split(',');
for (let i = FIRST; i < FIRST + RUNS; i++) for (const mode of Object.keys(MODES)) for (const fault of faults) jobs.push([mode, fault, i]);
const done = [];
if (opt['analyse-only']) {
  for (const [mode, fault, i] of jobs) {
    const s = join(store, `${mode}-${fault.replace(' ', '-')}-${i}`);
    const latest = join(s, 'latest');
    if (!existsSync(latest)) continue;
    const dir = resolve(s, readlinkSync(latest));
    if (!existsSync(join(dir, 'results.json'))) continue;
    const out = { mode, fault, run: i, dir, ...analyse(dir) };
    console.log(JSON.stringify(out));
    done.push(out);
  }
} else {
  const workers = Array.from({ length: Number(opt.parallel) }, async () => {
    while (jobs.length > 0) done.push(await one(...jobs.shift()));
  });
  await Promise.all(workers);
}
const range = (xs) => (xs.length === 0 ? '–' : Math.min(...xs) === Math.max(...xs) ? `${Math.min(...xs)}` : `${Math.min(...xs)}–${Math.max(...xs)}`);
for (const mode of Object.keys(MODES)) {
  for (const fault of Object.keys(FAULTS)) {
    const rs = done.filter((d) => d.mode === mode && d.fault === fault && d.rounds);
    const rounds = rs.flatMap((d) => d.rounds);
    console.log(
      JSON.stringify({
        summary: `${mode}, ${fault}`,
        runs: rs.length,
        primaryHitRounds: rounds.length,
        failoverMs: range(rounds.map((r) => r.failoverMs).filter((x) => x !== null)),
        noFailoverRounds: rounds.filter((r) => r.failoverMs === null).length,
        demoteMs: range(rounds.map((r) => r.demoteMs).filter((x) => x !== null)),
        lostPerRun: rs.map((d) => d.lost),
        ackedLostPerRun: rs.map((d) => d.ackedLost),
        attemptsPerRun: rs.map((d) => d.attempts),
        longestNoWriteS: range(rs.map((d) => d.longestNoWriteS)),
        lagP50Ms: range(rs.map((d) => d.lagP50Ms).filter((x) => x !== null)),
        lagMaxMs: range(rs.map((d) => d.lagMaxMs).filter((x) => x !== null)),
        valid: rs.map((d) => d.valid),
      }),
    );
  }
}
