// bench/nemesis: how long a partition takes to apply and to heal on a 5-node local network (real
// namespaces and iptables; needs root). Each round applies a grudge (alternating halves and
// isolate-one, so the rules change every time) and heals it, with a pause between changes as a
// schedule has (faults are held for seconds). The median of the rounds is printed against the
// goal, < 100 ms each, for the runner's way (warm: each node's next iptables-restore already
// started) and, for comparison, one process started per node and change (cold). Also the
// network's own setup and teardown times. BENCH_ROUNDS sets the rounds (default 20).
import { createNetwork, networkAvailable, type Network } from '../control/network.js';
import { halves, isolateOne } from '../nemesis/grudge.js';
import { partitionFault } from '../nemesis/partition.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const GOAL_MS = 100;
const PAUSE_MS = 200;
const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function line(what: string, xs: number[]): string {
  const m = median(xs);
  return `${what.padEnd(12)} median ${m.toFixed(1).padStart(6)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})  goal < ${GOAL_MS} ms: ${m < GOAL_MS ? 'met' : 'NOT met'}`;
}

async function measure(network: Network, warm: boolean): Promise<{ apply: number[]; heal: number[] }> {
  const fault = partitionFault({ runId: network.runId, hosts: network.hosts, warm });
  const grudges = [halves(nodes), isolateOne(nodes, 'n3')];
  const apply: number[] = [];
  const heal: number[] = [];
  try {
    await fault.start(grudges[0]); // warm-up: the first start also hooks the chain into INPUT
    await fault.stop();
    for (let i = 0; i < rounds; i++) {
      await sleep(PAUSE_MS);
      let t = performance.now();
      await fault.start(grudges[i % 2]);
      apply.push(performance.now() - t);
      await sleep(PAUSE_MS);
      t = performance.now();
      await fault.stop();
      heal.push(performance.now() - t);
    }
  } finally {
    if (fault.active()) await fault.stop();
    fault.close();
  }
  return { apply, heal };
}

const why = await networkAvailable();
if (why !== true) {
  console.error(`bench/nemesis needs the local network: ${why}`);
  process.exit(1);
}

let t = performance.now();
const network = await createNetwork(nodes);
const setupMs = performance.now() - t;
let warm: { apply: number[]; heal: number[] };
let cold: { apply: number[]; heal: number[] };
try {
  warm = await measure(network, true);
  cold = await measure(network, false);
} finally {
  t = performance.now();
  await network.teardown();
}
const teardownMs = performance.now() - t;

console.log(`bench/nemesis: a partition on ${nodes.length} nodes in network namespaces, ${rounds} rounds, ${PAUSE_MS} ms between changes (Node ${process.version})`);
console.log(line('apply', warm.apply));
console.log(line('heal', warm.heal));
console.log(line('apply, cold', cold.apply));
console.log(line('heal, cold', cold.heal));
console.log(`network setup ${setupMs.toFixed(0)} ms, teardown ${teardownMs.toFixed(0)} ms`);
