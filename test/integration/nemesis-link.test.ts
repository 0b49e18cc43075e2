// Link faults for real, in a 3-node namespace network (control/network.ts) of this file's own run:
// iptables-statistic loss drops about the share it is set to between two namespaces, tbf caps a
// TCP transfer's rate, the delay proxy on the built-in store's peer links slows a
// leader-follower-sync write by at least the delay, and after every stop nothing of the faults
// remains in the namespaces; after teardown, no namespace of the run does. Needs root, iproute2
// and iptables; the built-in nodes and the proxies run the compiled dist/ (npm test builds first).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '../../control/namespaces.js';
import { createNetwork, networkAvailable, newRunId, type Network } from '../../control/network.js';
import { linkFaults, probeNetem, QDISC_HANDLE, LOSS_CHAIN } from '../../nemesis/link.js';
import { proxiedPeers, type ProxiedPeers } from '../../nemesis/proxied-peers.js';
import type { Fault } from '../../nemesis/types.js';
import type { Op } from '../../histories/op.js';
import { createBuiltinTarget, type BuiltinTarget } from '../../targets/builtin/target.js';
import type { Client } from '../../targets/types.js';

const runId = `lk${newRunId()}`;
const nodes = ['n1', 'n2', 'n3'];
let network: Network;
const dir = mkdtempSync('/tmp/fl-lk-');

beforeAll(async () => {
  const why = await networkAvailable();
  if (why !== true) throw new Error(`these tests need local namespaces: ${why}`);
  network = await createNetwork(nodes, { runId });
});

afterAll(async () => {
  await network?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** Every fault a test made: stopped after it whatever happened, so one failure does not leak into the next test. */
const made: Fault[] = [];
afterEach(async () => {
  for (const f of made.splice(0)) if (f.active()) await f.stop();
});

function byName(faults: Fault[], name: string): Fault {
  const f = faults.find((x) => x.name === name)!;
  made.push(f);
  return f;
}

/** Runs a node script inside a node's namespace as a long-lived process; resolves once it prints `ready`. */
async function serve(node: string, script: string, args: string[]) {
  const [file, ...rest] = network.host(node).control.wrap([process.execPath, '-e', script, ...args]);
  const child = execa(file, rest, { stdin: 'pipe', reject: false });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve();
    });
    void child.then((r) => reject(new Error(`server in ${node} exited: ${String(r.stderr)}`)));
  });
  return {
    /** Closes its stdin and resolves with what it printed after `ready`. */
    async finish(): Promise<string> {
      child.stdin!.end();
      const r = await child;
      return String(r.stdout).split('ready').pop()!.trim();
    },
  };
}

async function runIn(node: string, script: string, args: string[]): Promise<string> {
  return (await network.host(node).control.exec([process.execPath, '-e', script, ...args], { timeoutMs: 20_000 })).stdout.trim();
}

const UDP_COUNTER = `
const s = require('node:dgram').createSocket('udp4'); let n = 0;
s.on('message', () => n++);
s.bind(Number(process.argv[2]), process.argv[1], () => console.log('ready'));
process.stdin.on('end', () => { console.log(String(n)); process.exit(0); }); process.stdin.resume();`;

// Paced, so the receiver's buffer never overflows: every datagram lost is one the rule dropped.
// A drop in OUTPUT shows as EPERM on send; those are counted too.
const UDP_SENDER = `
const s = require('node:dgram').createSocket('udp4'); const [host, port, n] = [process.argv[1], +process.argv[2], +process.argv[3]];
let i = 0, done = 0, refused = 0; const buf = Buffer.alloc(64);
s.on('error', () => {});
const sent = (e) => { if (e) refused++; if (++done === n) setTimeout(() => { console.log(JSON.stringify({ refused })); s.close(); }, 200); };
(function batch() { for (let k = 0; k < 50 && i < n; k++, i++) s.send(buf, port, host, sent); if (i < n) setTimeout(batch, 2); })();`;

const TCP_SINK = `
const net = require('node:net');
net.createServer((c) => { let total = 0; c.on('data', (b) => total += b.length); c.on('end', () => c.end(String(total))); })
  .listen(Number(process.argv[2]), process.argv[1], () => console.log('ready'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;

const TCP_SOURCE = `
const net = require('node:net'); const [host, port, bytes] = [process.argv[1], +process.argv[2], +process.argv[3]];
const t0 = performance.now(); let reply = '';
const c = net.connect(port, host, () => c.end(Buffer.alloc(bytes, 7)));
c.on('data', (b) => reply += b); c.on('end', () => console.log(JSON.stringify({ ms: performance.now() - t0, received: Number(reply) })));`;

async function sendUdp(count: number): Promise<{ received: number; refused: number }> {
  const ip = network.host('n2').ip;
  const counter = await serve('n2', UDP_COUNTER, [ip, '9000']);
  const { refused } = JSON.parse(await runIn('n1', UDP_SENDER, [ip, '9000', String(count)])) as { refused: number };
  return { received: Number(await counter.finish()), refused };
}

async function transfer(bytes: number): Promise<{ ms: number; received: number }> {
  const ip = network.host('n2').ip;
  const sink = await serve('n2', TCP_SINK, [ip, '9001']);
  const out = JSON.parse(await runIn('n1', TCP_SOURCE, [ip, '9001', String(bytes)])) as { ms: number; received: number };
  await sink.finish();
  return out;
}

/** What faultline left in a node's namespace: its qdiscs and loss rules. */
async function leftovers(node: string): Promise<string[]> {
  const c = network.host(node).control;
  const qdiscs = (await c.exec(['tc', 'qdisc', 'show', 'dev', 'eth0'])).stdout.split('\n').filter((l) => l.includes(` ${QDISC_HANDLE} `));
  const rules = (await c.exec(['iptables', '-w', '-S'])).stdout.split('\n').filter((l) => l.includes(LOSS_CHAIN) || l.includes(`faultline:${runId}`));
  return [...qdiscs, ...rules];
}

describe('on this kernel', () => {
  it('the netem probe answers, from a scratch namespace that is gone afterwards', async () => {
    const answer = await probeNetem(runId);
    // This machine class lacks netem; elsewhere the probe says true. Either way it is an answer.
    if (answer !== true) expect(answer).toMatch(/no netem/);
    expect(listNamespaces()).not.toContain(`fl-${runId}-netem`);
  });
});

describe('loss without netem', () => {
  it('drops about the configured share of packets between two namespaces, and stop removes the rule', async () => {
    const count = 2000;
    const clean = await sendUdp(count);
    expect(clean.received).toBeGreaterThanOrEqual(count * 0.99);

    const loss = byName(linkFaults(network, { netem: false }), 'loss');
    expect(await loss.available()).toBe(true);
    expect(await loss.start({ nodes: ['n1'], lossProbability: 0.3 })).toEqual({ mechanism: 'iptables-statistic', probability: 0.3, nodes: ['n1'] });
    expect((await leftovers('n1')).join('\n')).toMatch(/statistic --mode random --probability 0\.(3|29999)/);
    const lossy = await sendUdp(count);
    await loss.stop();
    const dropped = 1 - lossy.received / count;
    // 2000 draws at p = 0.3: the share stays within ±0.08 with overwhelming probability (≈ 8 σ).
    expect(dropped).toBeGreaterThan(0.22);
    expect(dropped).toBeLessThan(0.38);
    expect(lossy.refused).toBeGreaterThan(0); // the drops happened in n1's OUTPUT
    for (const n of nodes) expect(await leftovers(n)).toEqual([]);
    expect((await sendUdp(200)).received).toBeGreaterThanOrEqual(198);
  });
});

describe('bandwidth without netem', () => {
  it('tbf caps a TCP transfer near its rate, and stop removes the qdisc', async () => {
    const bytes = 384 * 1024;
    const free = await transfer(bytes);
    expect(free.received).toBe(bytes);

    const bw = byName(linkFaults(network, { netem: false, rate: '2mbit', burst: '64kb' }), 'bandwidth');
    expect(await bw.start(['n1'])).toEqual({ mechanism: 'tbf', rate: '2mbit', burst: '64kb', latencyMs: 400, nodes: ['n1'] });
    const capped = await transfer(bytes);
    await bw.stop();
    expect(capped.received).toBe(bytes);
    // 2 mbit/s = 250 000 bytes/s; only the bucket (64 KiB) may pass at once.
    const floorMs = ((bytes - 64 * 1024) / 250_000) * 1000;
    expect(capped.ms).toBeGreaterThanOrEqual(floorMs * 0.9);
    for (const n of nodes) expect(await leftovers(n)).toEqual([]);
    console.log(`transfer of ${bytes} bytes: ${free.ms.toFixed(0)} ms free, ${capped.ms.toFixed(0)} ms at 2mbit (floor ${floorMs.toFixed(0)} ms)`);
  });
});

describe('delay through the proxy on the built-in store\'s peer links', () => {
  let peers: ProxiedPeers;
  let target: BuiltinTarget;
  let client: Client;
  let index = 0;
  const write = async (value: number): Promise<{ op: Op; ms: number }> => {
    const t0 = performance.now();
    const op = await client.invoke({ index: index++, type: 'invoke', process: 0, f: 'write', key: 'x', value });
    return { op, ms: performance.now() - t0 };
  };

  beforeAll(async () => {
    peers = proxiedPeers(nodes, { network, socketDir: dir });
    await peers.start();
    target = createBuiltinTarget({
      mode: 'leader-follower-sync',
      nodes,
      options: { workload: 'register', replicationTimeoutMs: 3000 },
      dir: join(dir, 'store'),
      startTimeoutMs: 20_000,
      listen: (node, i) => peers.listen(node, i),
      wrapCommand: (node, cmd) => {
        const [file, ...args] = network.host(node).control.wrap([cmd.file, ...cmd.args]);
        return { file, args };
      },
    });
    await target.setup();
    client = target.client('n1');
    await client.open();
  });

  afterAll(async () => {
    await client?.close();
    await target?.teardown();
    await peers?.close();
  });

  it('a leader-follower-sync write takes at least the delay while it is on, and the op says the proxy carried it', async () => {
    const before = await write(1);
    expect(before.op.type).toBe('ok');

    const delay = byName(linkFaults(network, { netem: false, peerDelay: peers }), 'delay');
    expect(await delay.available()).toBe(true);
    expect(await delay.start({ nodes: ['n2', 'n3'], delayMs: 150, jitterMs: 0 })).toEqual({ mechanism: 'proxy', delayMs: 150, jitterMs: 0, nodes: ['n2', 'n3'] });
    const slow = await write(2);
    expect(slow.op.type).toBe('ok');
    // The leader n1 waits for both followers; each request and each reply is held 150 ms.
    expect(slow.ms).toBeGreaterThanOrEqual(2 * 150 - 5);
    expect((await peers.proxy('n2').stats()).delayedChunks).toBeGreaterThan(0);

    expect(await delay.stop()).toEqual({ mechanism: 'proxy', nodes: ['n2', 'n3'] });
    const after = await write(3);
    expect(after.op.type).toBe('ok');
    const read = await client.invoke({ index: index++, type: 'invoke', process: 0, f: 'read', key: 'x', value: null });
    expect(read).toMatchObject({ type: 'ok', value: 3 });
    console.log(`sync write: ${before.ms.toFixed(1)} ms before, ${slow.ms.toFixed(1)} ms with 150 ms on n2/n3's peer links, ${after.ms.toFixed(1)} ms after`);
    for (const n of nodes) expect(await leftovers(n)).toEqual([]);
  });
});

describe('teardown', () => {
  it('leaves no namespace of the run behind', async () => {
    await network.teardown();
    expect(listNamespaces().filter((ns) => ns.startsWith(`fl-${runId}-`))).toEqual([]);
  });
});
