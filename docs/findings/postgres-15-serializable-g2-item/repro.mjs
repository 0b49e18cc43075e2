#!/usr/bin/env node
// A standalone reproduction of the G2-item faultline found under PostgreSQL 15 SERIALIZABLE
// (README.md here). No faultline code: it starts its own throwaway server, runs random list-append
// transactions the way faultline's generator makes them, and checks the committed ones for a
// dependency cycle with a checker of its own (ww / wr / rw edges, as in Adya and Elle).
//
//   node repro.mjs [--clients 10] [--keys 5] [--seconds 60] [--isolation serializable|repeatable-read|read-committed]
//                  [--bin /usr/lib/postgresql/15/bin] [--dir /tmp]
//
// Run as root (the server runs as the postgres account through setpriv) or as any non-root user
// (the server then runs as that user). Needs the `pg` package (run it from faultline's checkout,
// whose node_modules has it). Exit code: 0 no cycle, 1 a cycle, 2 the script itself failed.
import { spawn, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// `pg` is resolved from the working directory, so the script runs from any checkout that has it.
const pg = createRequire(join(process.cwd(), 'x.js'))('pg');

const { values: opt } = parseArgs({
  options: {
    clients: { type: 'string', default: '10' },
    keys: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '60' },
    isolation: { type: 'string', default: 'serializable' },
    bin: { type: 'string', default: '/usr/lib/postgresql/15/bin' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const CLIENTS = Number(opt.clients), KEYS = Number(opt.keys), SECONDS = Number(opt.seconds);
const ISOLATION = opt.isolation;
if (!['serializable', 'repeatable-read', 'read-committed'].includes(ISOLATION)) throw new Error(`--isolation: ${ISOLATION}?`);
// As faultline's list-append generator: 1..4 micro-ops, half reads, a key retires after 32 appends.
const MAX_TXN_LENGTH = 4, MAX_WRITES_PER_KEY = 32, TABLES = 3;

// ---------------------------------------------------------------- the server
const home = mkdtempSync(join(opt.dir, 'pg-g2-'));
const data = join(home, 'data');
const logFile = join(home, 'postgres.log');
const asRoot = process.getuid() === 0;
const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString()) : undefined;
const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString()) : undefined;
if (asRoot) chownSync(home, uid, gid);
// setpriv drops to postgres; --pdeathsig makes the server die with this script however it ends.
const asServer = (argv) => (asRoot ? ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--reset-env', '--pdeathsig', 'SIGKILL', '--', ...argv] : argv);
let postmaster;

function run(argv) {
  execFileSync(argv[0], argv.slice(1), { cwd: home, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function startServer() {
  run(asServer([join(opt.bin, 'initdb'), '-D', data, '--username', 'postgres', '--auth', 'trust', '--encoding', 'UTF8', '--locale', 'C', '--no-instructions']));
  const settings = {
    listen_addresses: '', unix_socket_directories: home, port: '5432', fsync: 'on', max_connections: '200',
    shared_buffers: '32MB', deadlock_timeout: '20ms', client_connection_check_interval: '1000',
    log_min_error_statement: 'panic', lc_messages: 'C',
  };
  const log = openSync(logFile, 'a');
  const argv = asServer([join(opt.bin, 'postgres'), '-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]);
  postmaster = spawn(argv[0], argv.slice(1), { cwd: home, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise((r) => postmaster.once('exit', r));
  for (let i = 0; i < 300; i++) {
    const c = connection();
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      c.end().catch(() => {});
      if (postmaster.exitCode !== null) break;
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
  }
  throw new Error(`PostgreSQL did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

async function stopServer() {
  if (postmaster && postmaster.exitCode === null && postmaster.signalCode === null) {
    const exited = new Promise((r) => postmaster.once('exit', r));
    postmaster.kill('SIGINT'); // fast shutdown
    const t = setTimeout(() => postmaster.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  rmSync(home, { recursive: true, force: true });
}

function connection() {
  const c = new pg.Client({ host: home, port: 5432, user: 'postgres', database: 'postgres' });
  c.on('error', () => {});
  return c;
}

// ---------------------------------------------------------------- the workload
// FNV-1a of the key's text picks its table, as faultline does, so transactions span tables.
function table(key) {
  let h = 0x811c9dc5;
  for (const ch of String(key)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `append_${h % TABLES}`;
}
const active = Array.from({ length: KEYS }, (_, i) => i);
const written = active.map(() => 0);
let nextKey = KEYS;
const weights = active.map((_, i) => 2 ** -i); // exponential: a few hot keys
function pickSlot() {
  let x = Math.random() * weights.reduce((a, b) => a + b);
  for (let i = 0; i < weights.length; i++) if ((x -= weights[i]) < 0) return i;
  return weights.length - 1;
}
/** A fresh txn: [f, key, value] micro-ops; append values are 1, 2, 3, ... per key, so unique. */
function newTxn() {
  const ops = [];
  for (let n = 1 + Math.floor(Math.random() * MAX_TXN_LENGTH); n > 0; n--) {
    const s = pickSlot();
    const key = active[s];
    if (Math.random() < 0.5) { ops.push(['r', key, null]); continue; }
    ops.push(['append', key, ++written[s]]);
    if (written[s] >= MAX_WRITES_PER_KEY) { active[s] = nextKey++; written[s] = 0; }
  }
  return ops;
}

const committed = []; // { id, client, begin, end, ops } (times in ms since the start)
const failures = {};
let t0;
async function client(id, deadline) {
  const c = connection();
  await c.connect();
  const begin = `BEGIN ISOLATION LEVEL ${ISOLATION.replace('-', ' ').toUpperCase()}`;
  while (Date.now() < deadline) {
    const ops = newTxn();
    const start = Date.now() - t0;
    let commitSent = false;
    try {
      await c.query(begin);
      const done = [];
      for (const [f, k, v] of ops) {
        const t = table(k);
        if (f === 'r') {
          const r = await c.query({ name: `r_${t}`, text: `SELECT v FROM ${t} WHERE k = $1`, values: [String(k)] });
          done.push(['r', k, r.rows.length ? r.rows[0].v : []]);
        } else {
          await c.query({ name: `a_${t}`, text: `INSERT INTO ${t} AS t (k, v) VALUES ($1, jsonb_build_array($2::jsonb)) ON CONFLICT (k) DO UPDATE SET v = t.v || jsonb_build_array($2::jsonb)`, values: [String(k), String(v)] });
          done.push(['append', k, v]);
        }
      }
      commitSent = true;
      const r = await c.query('COMMIT');
      if (r.command !== 'COMMIT') throw Object.assign(new Error('COMMIT answered ROLLBACK'), { code: 'rollback' });
      committed.push({ id: committed.length, client: id, begin: start, end: Date.now() - t0, ops: done });
    } catch (e) {
      // Only errors that certainly abort the txn count as failures; anything else makes the check unsound.
      if (!['40001', '40P01', 'rollback'].includes(e.code)) throw new Error(`client ${id}: unexpected error ${commitSent ? 'at COMMIT' : ''}: ${e.code} ${e.message}`);
      failures[e.code] = (failures[e.code] ?? 0) + 1;
      if (!commitSent) await c.query('ROLLBACK');
    }
  }
  await c.end();
}

// ---------------------------------------------------------------- the checker
/** Dependency edges among committed txns, from each key's final list (its version order). */
function buildGraph(finals) {
  const problems = [];
  const appender = new Map(); // `${key}/${value}` -> txn id
  for (const t of committed) for (const [f, k, v] of t.ops) if (f === 'append') appender.set(`${k}/${v}`, t.id);
  const edges = committed.map(() => []);
  const add = (from, to, type, why) => { if (from !== undefined && to !== undefined && from !== to) edges[from].push({ to, type, why }); };
  for (const [k, list] of finals) {
    list.forEach((v, i) => { if (!appender.has(`${k}/${v}`)) problems.push(`key ${k} holds ${v}, which no committed txn appended`); });
    for (let i = 1; i < list.length; i++) {
      const a = appender.get(`${k}/${list[i - 1]}`), b = appender.get(`${k}/${list[i]}`);
      if (a !== undefined && b !== undefined) add(a, b, 'ww', `key ${k}: ${list[i - 1]} then ${list[i]}`);
    }
  }
  for (const t of committed) {
    for (const [f, k, v] of t.ops) {
      if (f === 'append') {
        if (!(finals.get(k) ?? []).includes(v)) problems.push(`T${t.id}'s append of ${v} to key ${k} is missing from its final list`);
        continue;
      }
      const list = finals.get(k) ?? [];
      if (v.length > list.length || v.some((x, i) => x !== list[i])) { problems.push(`T${t.id} read key ${k} = [${v}], not a prefix of the final [${list}]`); continue; }
      if (v.length > 0) add(appender.get(`${k}/${v.at(-1)}`), t.id, 'wr', `key ${k}: read [${v}], last ${v.at(-1)}`);
      if (v.length < list.length) add(t.id, appender.get(`${k}/${list[v.length]}`), 'rw', `key ${k}: read [${v}], missed ${list[v.length]}`);
    }
  }
  return { edges, problems };
}

/** Strongly connected components of more than one txn (iterative Tarjan: the graph is big). */
function cyclicComponents(edges) {
  const n = edges.length, index = new Int32Array(n).fill(-1), low = new Int32Array(n), onStack = new Uint8Array(n);
  const stack = [], out = [];
  let next = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work = [[root, 0]];
    index[root] = low[root] = next++; stack.push(root); onStack[root] = 1;
    while (work.length) {
      const top = work[work.length - 1];
      const [v, i] = top;
      if (i < edges[v].length) {
        top[1]++;
        const w = edges[v][i].to;
        if (index[w] === -1) { index[w] = low[w] = next++; stack.push(w); onStack[w] = 1; work.push([w, 0]); }
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      work.pop();
      if (work.length) { const u = work[work.length - 1][0]; low[u] = Math.min(low[u], low[v]); }
      if (low[v] === index[v]) {
        const comp = [];
        let w;
        do { w = stack.pop(); onStack[w] = 0; comp.push(w); } while (w !== v);
        if (comp.length > 1) out.push(comp);
      }
    }
  }
  return out;
}

/** A shortest cycle through the component's first txn (breadth-first, inside the component). */
function cycleIn(comp, edges) {
  const inComp = new Set(comp), start = Math.min(...comp), via = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const e of edges[v]) {
      if (!inComp.has(e.to)) continue;
      if (e.to === start) {
        const path = [{ from: v, ...e }];
        for (let u = v; via.get(u); u = via.get(u).from) path.unshift(via.get(u));
        return path;
      }
      if (!via.has(e.to)) { via.set(e.to, { from: v, ...e }); queue.push(e.to); }
    }
  }
}

function kind(cycle) {
  const rw = cycle.filter((e) => e.type === 'rw').length;
  if (rw === 0) return cycle.some((e) => e.type === 'wr') ? 'G1c' : 'G0';
  return rw === 1 ? 'G-single' : 'G2-item';
}

// ---------------------------------------------------------------- main
let exitCode = 2;
const cleanup = () => stopServer().finally(() => process.exit(130));
process.once('SIGINT', cleanup);
process.once('SIGTERM', cleanup);
try {
  await startServer();
  const admin = connection();
  await admin.connect();
  for (let i = 0; i < TABLES; i++) await admin.query(`CREATE TABLE append_${i} (k text PRIMARY KEY, v jsonb NOT NULL)`);
  console.log(`PostgreSQL ${(await admin.query('SHOW server_version')).rows[0].server_version}; ${CLIENTS} clients, ${KEYS} keys, ${SECONDS} s, ${ISOLATION}`);
  t0 = Date.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i, t0 + SECONDS * 1000)));
  const elapsed = (Date.now() - t0) / 1000;
  const finals = new Map();
  for (let i = 0; i < TABLES; i++) for (const r of (await admin.query(`SELECT k, v FROM append_${i}`)).rows) finals.set(Number(r.k), r.v);
  await admin.end();
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  console.log(`committed ${committed.length} (${(committed.length / elapsed).toFixed(0)}/s), failed ${failed} ${JSON.stringify(failures)}`);

  const { edges, problems } = buildGraph(finals);
  for (const p of problems.slice(0, 10)) console.log(`problem: ${p}`);
  const comps = cyclicComponents(edges);
  const cycles = comps.map((c) => cycleIn(c, edges)).map((cy) => ({ cy, kind: kind(cy), at: Math.max(...cy.map((e) => committed[e.from].end)) }));
  cycles.sort((a, b) => a.at - b.at);
  const kinds = {};
  for (const c of cycles) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
  console.log(`cycles: ${cycles.length} (components with a cycle) ${JSON.stringify(kinds)}`);
  if (cycles.length) {
    const { cy, kind: k, at } = cycles[0];
    console.log(`first cycle: ${k}, complete at ${(at / 1000).toFixed(1)} s`);
    for (const e of cy) console.log(`  T${e.from} ${e.type}→ T${e.to}  (${e.why})`);
    for (const e of cy) {
      const t = committed[e.from];
      console.log(`  T${t.id}: client ${t.client}, begin ${t.begin} ms, commit ok ${t.end} ms: ${JSON.stringify(t.ops)}`);
    }
  }
  exitCode = cycles.length || problems.length ? 1 : 0;
} catch (e) {
  console.error(`repro failed: ${e.stack ?? e}`);
} finally {
  await stopServer();
}
process.exit(exitCode);
