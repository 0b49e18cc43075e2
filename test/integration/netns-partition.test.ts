// Real namespaces, real iptables: the local network comes up and goes without a trace, a partition
// really drops packets between namespaces and heals, `faultline test --nemesis partition` gives
// the expected verdicts with evidence that the faults took effect, SIGTERM in the middle of a
// partition and a pause leaves nothing behind, and `faultline heal` removes a dead run's leftovers.
// Needs root, iproute2 and iptables. Every run id here is this file's own.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '../../control/namespaces.js';
import { createNetwork, newRunId, runSubnet, type Network } from '../../control/network.js';
import { claimRun, releaseRun } from '../../control/run-owner.js';
import { cutOff, halves, isolateOne, type Grudge } from '../../nemesis/grudge.js';
import { partitionFault } from '../../nemesis/partition.js';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const store = mkdtempSync(join(tmpdir(), 'faultline-netns-'));
const networks: Network[] = [];
afterAll(async () => {
  for (const n of networks) await n.teardown().catch(() => {});
  rmSync(store, { recursive: true, force: true });
});

const runIdHere = () => `t${newRunId()}`;
const namespacesOf = (runId: string) => listNamespaces().filter((n) => n.startsWith(`fl-${runId}-`));

async function rootRules(): Promise<string> {
  const tables = await Promise.all(['filter', 'nat', 'mangle'].map((t) => execa('iptables', ['-w', '-t', t, '-S'])));
  return tables.map((r) => r.stdout).join('\n');
}

function faultline(args: string[]) {
  return execa(process.execPath, [bin, ...args], { cwd: store, reject: false, all: true });
}

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pred();
}

// An agent inside each node namespace: a TCP server on the node's address, and, for each line of
// addresses on stdin, a line saying which of them accept a connection (one process per node for
// the whole test, since starting node processes is what takes time here).
const AGENT = `
const net = require('net');
net.createServer((s) => s.end()).listen(7100, process.argv[1], () => console.log('up'));
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  Promise.all(JSON.parse(line).map((ip) => new Promise((done) => {
    const s = net.connect({ host: ip, port: 7100 });
    const t = setTimeout(() => { s.destroy(); done(false); }, 500);
    s.on('connect', () => { clearTimeout(t); s.destroy(); done(true); });
    s.on('error', () => { clearTimeout(t); done(false); });
  }))).then((r) => console.log(JSON.stringify(r)));
});`;

type Agent = ReturnType<typeof execa> & { nextLine(): Promise<string> };

function startAgent(host: Network['hosts'][number]): Agent {
  const [file, ...args] = host.control.wrap([process.execPath, '-e', AGENT, host.ip]);
  const child = execa(file, args, { reject: false, stdin: 'pipe' }) as Agent;
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += String(d);
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  child.nextLine = () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r)));
  return child;
}

/** "a>b" for every pair where a TCP connection from a to b succeeds. */
async function reachable(net: Network, agents: Agent[]): Promise<string[]> {
  const rows = await Promise.all(
    net.hosts.map(async (from, k) => {
      const others = net.hosts.filter((h) => h !== from);
      agents[k].stdin!.write(JSON.stringify(others.map((h) => h.ip)) + '\n');
      const ok = JSON.parse(await agents[k].nextLine()) as boolean[];
      return others.filter((_, i) => ok[i]).map((to) => `${from.node}>${to.node}`);
    }),
  );
  return rows.flat().sort();
}

/** What TCP can do under a grudge: a connects to b when neither drops the other's packets. */
function expectedReach(nodes: readonly string[], g: Grudge): string[] {
  const out: string[] = [];
  for (const a of nodes) for (const b of nodes) if (a !== b && !cutOff(g, a).includes(b)) out.push(`${a}>${b}`);
  return out.sort();
}

interface Rec {
  index: number;
  time: number;
  type: string;
  process: number | string;
  f: string;
  value?: unknown;
  node?: string;
  final?: boolean;
}

interface ClientOp {
  node: string;
  f: string;
  invoked: number;
  completed: number;
  type: string;
}

function readRun(dir: string): { windows: { start: number; end: number; grudge: Grudge }[]; ops: ClientOp[]; lastHeal: number } {
  const recs = readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
  const nem = recs.filter((r) => r.process === 'nemesis');
  const windows: { start: number; end: number; grudge: Grudge }[] = [];
  let open: { start: number; grudge: Grudge } | undefined;
  let lastHeal = 0;
  // The nemesis runs one op at a time: its records come in invocation/completion pairs.
  for (let i = 0; i + 1 < nem.length; i += 2) {
    const [inv, done] = [nem[i], nem[i + 1]];
    expect(done.f).toBe(inv.f);
    if (inv.f === 'start-partition') open = { start: done.time, grudge: done.value as Grudge };
    if (inv.f === 'stop-partition') {
      if (open) windows.push({ ...open, end: inv.time });
      open = undefined;
      lastHeal = done.time;
    }
  }
  const pending = new Map<number | string, Rec>();
  const ops: ClientOp[] = [];
  for (const r of recs) {
    if (r.process === 'nemesis') continue;
    if (r.type === 'invoke') pending.set(r.process, r);
    else {
      const inv = pending.get(r.process)!;
      pending.delete(r.process);
      ops.push({ node: inv.node!, f: inv.f, invoked: inv.time, completed: r.time, type: r.type });
    }
  }
  return { windows, ops, lastHeal };
}

/**
 * The partition took effect: ops that need the leader (n1; `needsLeader` says which) were invoked
 * at nodes cut off from it while it held, and none of them succeeded before the heal (each failed,
 * timed out, or completed only after it); after the last heal every node served ops again.
 */
function expectPartitionsTookEffect(dir: string, needsLeader: (op: ClientOp) => boolean) {
  const { windows, ops, lastHeal } = readRun(dir);
  expect(windows.length).toBeGreaterThan(0);
  let held = 0;
  for (const w of windows) {
    const cut = new Set(cutOff(w.grudge, 'n1'));
    const during = ops.filter((o) => cut.has(o.node) && o.node !== 'n1' && needsLeader(o) && o.invoked > w.start && o.invoked < w.end);
    for (const o of during) if (o.type === 'ok') expect(o.completed, `${o.f} at ${o.node} succeeded during ${JSON.stringify(w.grudge)}`).toBeGreaterThan(w.end);
    held += during.length;
  }
  expect(held, 'ops at nodes cut off from the leader while a partition held').toBeGreaterThan(0);
  for (const n of ['n1', 'n2', 'n3']) expect(ops.some((o) => o.node === n && o.invoked > lastHeal && o.type === 'ok'), `${n} serves after the heal`).toBe(true);
}

describe('local network (namespaces, bridge, guard)', () => {
  it('comes up with a namespace per node, the switch and the client, and the guard; teardown leaves nothing', async () => {
    const runId = runIdHere();
    const net = await createNetwork(['n1', 'n2', 'n3'], { runId });
    networks.push(net);
    expect(namespacesOf(runId).sort()).toEqual([`fl-${runId}-c`, `fl-${runId}-n1`, `fl-${runId}-n2`, `fl-${runId}-n3`, `fl-${runId}-sw`]);
    expect(net.hosts.map((h) => h.ip)).toEqual([1, 2, 3].map((i) => `${runSubnet(runId)}.${i}`));
    expect(net.client.ip).toBe(`${runSubnet(runId)}.254`);
    const addr = await net.host('n2').control.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    expect(addr.stdout).toContain(`${net.host('n2').ip}/24`);
    // Nothing routes out of a node namespace: only its /24 and loopback.
    const routes = await net.host('n2').control.exec(['ip', '-4', 'route']);
    expect(routes.stdout.trim().split('\n')).toEqual([`${runSubnet(runId)}.0/24 dev eth0 proto kernel scope link src ${net.host('n2').ip}`]);
    expect(await rootRules()).toContain(`"faultline:${runId}"`);
    await expect(createNetwork(['n1'], { runId })).rejects.toThrow(/exist already/);

    await net.teardown();
    expect(namespacesOf(runId)).toEqual([]);
    expect(await rootRules()).not.toContain(`faultline:${runId}`);
    await net.teardown(); // idempotent
    await expect(createNetwork(['n1', 'sw'])).rejects.toThrow(/reserved/);
  });

  it('a partition (halves, then isolate-one in its place) drops packets between namespaces; the heal restores them', async () => {
    const net = await createNetwork(['n1', 'n2', 'n3', 'n4', 'n5'], { runId: runIdHere() });
    networks.push(net);
    const nodes = net.hosts.map((h) => h.node);
    const agents = net.hosts.map(startAgent);
    for (const a of agents) expect(await a.nextLine()).toBe('up');
    const everyone = expectedReach(nodes, {});
    expect(await reachable(net, agents)).toEqual(everyone);

    const fault = partitionFault({ runId: net.runId, hosts: net.hosts, warm: true });
    expect(await fault.available()).toBe(true);
    const g = halves(nodes);
    expect(await fault.start(g)).toEqual(g);
    expect(fault.active()).toBe(true);
    expect(await reachable(net, agents)).toEqual(expectedReach(nodes, g));
    const rules = await net.host('n1').control.exec(['iptables', '-S', 'FAULTLINE-PARTITION']);
    expect(rules.stdout).toContain(`-s ${net.host('n3').ip}/32 -m comment --comment "faultline:${net.runId}" -j DROP`);

    const one = isolateOne(nodes, 'n5');
    await fault.start(one);
    expect(await reachable(net, agents)).toEqual(expectedReach(nodes, one));

    expect(await fault.stop()).toEqual(one);
    expect(fault.active()).toBe(false);
    expect(await reachable(net, agents)).toEqual(everyone);

    // Teardown also ends what still runs inside the namespaces (the agents here).
    await net.teardown();
    for (const a of agents) expect((await a).isTerminated).toBe(true);
    expect(namespacesOf(net.runId)).toEqual([]);
  });
});

describe('faultline test --nemesis partition (built-in store in namespaces)', () => {
  it('without root, says so and starts nothing (exit 3)', async () => {
    const nobody = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, 'test', '--nemesis', 'partition', '--store', join(store, 'nobody')], {
      cwd: tmpdir(),
      reject: false,
      all: true,
    });
    expect(nobody.exitCode, nobody.all).toBe(3);
    expect(nobody.stderr).toBe('faultline: "target.network" is "netns" (nodes in network namespaces, for partition), but network namespaces and iptables need root (run faultline as root)');
    expect(existsSync(join(store, 'nobody'))).toBe(false);
  });

  function config(name: string, mode: string, extra: Record<string, unknown> = {}): string {
    const file = join(store, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name,
        target: { mode, nodes: 3 },
        nemesis: { faults: ['partition'], interval: 1.2, partitions: ['primaries', 'isolate-one'] },
        timeLimit: 6.5,
        quiesce: 1,
        opTimeout: 3,
        ...extra,
      }),
    );
    return file;
  }

  it('leader-follower-sync stays linearizable, and the partitions demonstrably cut nodes off', async () => {
    const r = await faultline(['test', '--config', config('sync', 'leader-follower-sync'), '--store', store, '--no-progress', '--seed', '11']);
    expect(r.exitCode, r.all).toBe(0);
    const dir = join(store, 'latest');
    const test = JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8'));
    expect(test.target.network).toBe('netns');
    expect(namespacesOf(test.faultline.runId)).toEqual([]);
    // Followers pass every op to the leader n1.
    expectPartitionsTookEffect(dir, () => true);
    expect(await rootRules()).not.toContain(`faultline:${test.faultline.runId}`);
  });

  it('leader-follower-async is not (stale reads), and writes at cut-off followers are held until the heal', async () => {
    const r = await faultline(['test', '--config', config('async', 'leader-follower-async'), '--store', store, '--no-progress', '--seed', '12']);
    expect(r.exitCode, r.all).toBe(1);
    const dir = join(store, 'latest');
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results.valid).toBe(false);
    // Reads are local at every node in this mode; writes go to the leader.
    expectPartitionsTookEffect(dir, (o) => o.f !== 'read');
  });
});


describe('healing on the way out', () => {
  it('SIGTERM during a partition and a pause: healed, torn down, checked; no rule, namespace or stopped node left', async () => {
    const dir = join(store, 'sigterm');
    const child = execa(process.execPath, [bin, 'test', '--nemesis', 'partition,pause', '--nemesis-interval', '1.5', '--time-limit', '60', '--store', dir, '--no-progress'], {
      cwd: store,
      reject: false,
      all: true,
    });
    const history = join(dir, 'latest', 'history.jsonl');
    /** Both faults started (completions recorded) and neither stopped yet. */
    const bothActive = () => {
      if (!existsSync(history)) return false;
      const active = new Set<string>();
      const nem = readFileSync(history, 'utf8').split('\n').filter((l) => l.includes('"nemesis"')).map((l) => JSON.parse(l) as Rec);
      for (let i = 1; i < nem.length; i += 2) {
        const m = /^(start|stop)-(.+)$/.exec(nem[i].f)!;
        if (m[1] === 'start') active.add(m[2]);
        else active.delete(m[2]);
      }
      return active.has('partition') && active.has('pause');
    };
    expect(await waitFor(bothActive, 30_000), 'a partition and a pause at the same time').toBe(true);
    const runId = JSON.parse(readFileSync(join(dir, 'latest', 'test.json'), 'utf8')).faultline.runId as string;
    expect(namespacesOf(runId).length).toBe(5);
    expect(processesMentioning(dir).some((p) => p.state === 'T')).toBe(true);
    process.kill(child.pid!, 'SIGTERM'); // not child.kill: execa would follow with SIGKILL after 5 s
    const r = await child;
    expect(r.exitCode, r.all).toBe(3);
    expect(r.stdout).toMatch(/the run ended early: interrupted/);
    expect(namespacesOf(runId)).toEqual([]);
    expect(await rootRules()).not.toContain(`faultline:${runId}`);
    expect(processesMentioning(dir)).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'latest', 'results.json'), 'utf8')).error).toBe('interrupted');
  });

  it("faultline heal removes a dead run's namespaces, guard rule and processes, and leaves a live run alone", async () => {
    const dead = runIdHere();
    const live = runIdHere();
    const guard = (id: string) => ['OUTPUT', '-d', '198.18.0.0/15', '-m', 'comment', '--comment', `faultline:${id}`, '-j', 'REJECT'];
    await execa('ip', ['-batch', '-'], { input: [`fl-${dead}-n1`, `fl-${dead}-sw`, `fl-${live}-n1`].map((n) => `netns add ${n}\n`).join('') });
    await execa('iptables', ['-w', '-I', ...guard(dead)]);
    // A paused process in the dead run's namespace, as a SIGSTOPped node would be.
    const sleeper = execa('ip', ['netns', 'exec', `fl-${dead}-n1`, 'sleep', '60'], { reject: false });
    const isSleep = () => {
      try {
        return readFileSync(`/proc/${sleeper.pid}/cmdline`, 'utf8').startsWith('sleep');
      } catch {
        return false;
      }
    };
    expect(await waitFor(isSleep, 5000)).toBe(true);
    process.kill(sleeper.pid!, 'SIGSTOP');
    claimRun(live); // this test process owns the "live" run
    try {
      const dry = await faultline(['heal', '--run', dead, '--dry-run']);
      expect(dry.exitCode, dry.all).toBe(0);
      expect(dry.stdout).toContain(`namespace fl-${dead}-n1 (processes ${sleeper.pid})`);
      expect(dry.stdout).toContain(`namespace fl-${dead}-sw`);
      expect(dry.stdout).toContain(`--comment "faultline:${dead}"`);
      expect(namespacesOf(dead).length).toBe(2);

      const healed = await faultline(['heal', '--run', dead]);
      expect(healed.exitCode, healed.all).toBe(0);
      expect(healed.stdout).toContain(`removed process ${sleeper.pid}`);
      expect(namespacesOf(dead)).toEqual([]);
      expect(await rootRules()).not.toContain(`faultline:${dead}`);
      expect((await sleeper).isTerminated).toBe(true);
      expect((await faultline(['heal', '--run', dead])).stdout).toBe(`nothing to heal for run ${dead}`);

      const kept = await faultline(['heal', '--run', live]);
      expect(kept.stdout).toMatch(new RegExp(`left run ${live}: its faultline process ${process.pid} still runs`));
      expect(namespacesOf(live)).toEqual([`fl-${live}-n1`]);
      const forced = await faultline(['heal', '--run', live, '--force']);
      expect(forced.stdout).toContain(`removed namespace fl-${live}-n1`);
      expect(namespacesOf(live)).toEqual([]);
    } finally {
      releaseRun(live);
      sleeper.kill('SIGKILL');
      for (const n of [...namespacesOf(dead), ...namespacesOf(live)]) await execa('ip', ['netns', 'del', n], { reject: false });
      while ((await execa('iptables', ['-w', '-D', ...guard(dead)], { reject: false })).exitCode === 0);
    }
  });
});
