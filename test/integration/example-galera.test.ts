// The MariaDB + Galera example (examples/systems/galera.json and galera_adapter.py) run locally, one
// network namespace per node, through the CLI as a user runs it: list-append at read committed
// under partitions and kills. What is stable about it is asserted: the run completes with checked
// transactions, every fault is in the history, each node's logs are kept, nothing of the run is
// left, and the history is valid against the read-committed model (checked in the run, and again
// by `faultline check` on the stored history). Anomaly counts at the stronger levels vary from run
// to run, so they are in docs/systems-examples.draft.md, not here.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, it } from 'vitest';
import { run as exec } from '../../control/local.js';
import { listNamespaces } from '../../control/namespaces.js';
import type { Op } from '../../histories/op.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const galera = resolve('examples/systems/galera.json');
// Short: MariaDB refuses a unix socket path over 107 bytes, and the socket is in the node's data folder.
const cwd = mkdtempSync(join(tmpdir(), 'faultline-galera-'));
// The nodes run as the mysql account, which must be able to enter the store (mkdtemp makes it 0700).
chmodSync(cwd, 0o711);
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function faultline(args: string[], timeout = 240_000) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, all: true, timeout });
}

/** A test run in its own store, without the progress line; resolves with the result and the run's folder. */
async function test(store: string, args: string[]) {
  const r = await faultline(['test', '--store', join(cwd, store), '--no-progress', ...args]);
  const latest = join(cwd, store, 'latest');
  const dir = existsSync(latest) ? resolve(join(cwd, store), readlinkSync(latest)) : undefined;
  return { ...r, dir };
}

function history(dir: string): Op[] {
  return readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Op);
}

function runIdOf(dir: string): string {
  return JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8')).faultline.runId as string;
}


describe.concurrent('examples/systems/galera.json (MariaDB + Galera, local namespaces)', () => {
  it('list-append at read committed under partitions and kills: valid against read committed, every fault recorded, logs kept, nothing left', async ({ expect }) => {
    const r = await test('rc', [
      '--system', galera,
      '--workload', 'list-append',
      '--option', 'isolation=read-committed',
      '--option', 'consistencyModels=["read-committed"]',
      '--nemesis', 'partition,kill',
      // Not the primaries shape: every Galera node is a primary, and the description has no primaries command.
      '--partitions', 'halves,isolate-one,majorities-ring',
      '--nemesis-interval', '4',
      '--time-limit', '16',
      '--seed', '7',
    ]);
    expect(r.dir, r.all).toBeDefined();
    const dir = r.dir!;
    const h = history(dir);
    const client = h.filter((op) => op.process !== 'nemesis' && op.type !== 'invoke');
    const ok = client.filter((op) => op.type === 'ok').length;
    console.log(`galera rc run: exit ${r.exitCode}; ${ok} ok, ${client.filter((op) => op.type === 'fail').length} fail, ${client.filter((op) => op.type === 'info').length} info; ${r.stdout.split('\n').find((l) => l.startsWith('list-append-galera')) ?? ''}`);

    // The run completed and checked what it recorded: valid against read committed (exit 0).
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^list-append-galera: valid · \d+ ops \(\d+ history records\) · seed 7 · report /m);
    expect(ok).toBeGreaterThan(50);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results['list-append'].models).toEqual(['read-committed']);
    expect(results['list-append'].valid).toBe(true);

    // Every fault, started and stopped, is in the history.
    const nemesis = h.filter((op) => op.process === 'nemesis');
    const faults = new Set(nemesis.map((op) => op.f));
    for (const f of ['start-partition', 'stop-partition', 'start-kill', 'stop-kill']) expect(faults, [...faults].join(', ')).toContain(f);
    // A partition that cut something: a grudge naming nodes, not an empty one.
    expect(nemesis.some((op) => op.f === 'start-partition' && op.value !== null && typeof op.value === 'object' && Object.keys(op.value).length > 0)).toBe(true);

    // Each node's logs are kept: MariaDB's console output, the description's my.cnf and Galera's state file.
    for (const n of ['n1', 'n2', 'n3']) {
      expect(readFileSync(join(dir, 'logs', n, 'console.log'), 'utf8')).toContain('WSREP');
      for (const f of ['my.cnf', 'grastate.dat']) expect(existsSync(join(dir, 'logs', n, f)), `${n}/${f}`).toBe(true);
    }

    // The stored history re-checked on its own against read committed: still valid.
    const again = await faultline(['check', '--checker', 'list-append', '--consistency-models', 'read-committed', join(dir, 'history.jsonl')]);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/: valid · /);

    // Nothing of the run is left: namespaces, tagged rules, mariadbd processes, socket folders.
    const runId = runIdOf(dir);
    expect(listNamespaces().filter((ns) => ns.startsWith(`fl-${runId}-`))).toEqual([]);
    expect((await exec(['iptables', '-w', '-S'])).stdout).not.toContain(`faultline:${runId}`);
    expect(processesMentioning(dir)).toEqual([]);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`fl-${runId}-`))).toEqual([]);
  }, 240_000);
});
