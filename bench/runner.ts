// bench/runner: what the harness itself costs per op — the register workload's generator, the
// driver's scheduling and Jepsen bookkeeping, and recording every op to history.jsonl — measured
// with a client that answers at once; and, side by side, the throughput reached against the
// built-in leader-follower-sync cluster at concurrency 50. Goal: harness < 10 µs per op
// (≥ 100k ops/s on one core).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Driver } from '../runner/driver.js';
import { Recorder } from '../runner/recorder.js';
import { createBuiltinTarget } from '../targets/builtin/target.js';
import type { Client, Target } from '../targets/types.js';
import { clients } from '../workloads/generator/threads.js';
import { timeLimit } from '../workloads/generator/time.js';
import { Random } from '../base/random.js';
import { getWorkload } from '../workloads/index.js';
import { workloadOptions } from '../workloads/options.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);

interface Figures {
  ops: number;
  seconds: number;
  opsPerSecond: number;
  usPerOp: number;
  cpuUsPerOp: number;
  fileMB: number;
}

async function drive(concurrency: number, nodes: string[], client: (node: string) => Client): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-runner-'));
  try {
    const workload = getWorkload('register');
    const options = { ...workloadOptions(workload, {}), nodes, concurrency };
    const recorder = new Recorder(join(dir, 'history.jsonl'));
    const driver = new Driver({
      concurrency,
      random: new Random(42),
      recorder,
      nodeOf: (t) => nodes[t % nodes.length],
      client,
      nemesis: async () => undefined,
      opTimeoutNs: 5e9,
    });
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await driver.runPhase(clients(timeLimit(seconds * 1e9, workload.generator(options))));
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    await driver.close();
    recorder.close();
    const ops = recorder.ops.filter((o) => o.type === 'invoke').length;
    return {
      ops,
      seconds: elapsed,
      opsPerSecond: ops / elapsed,
      usPerOp: (elapsed * 1e6) / ops,
      cpuUsPerOp: (cpu.user + cpu.system) / ops,
      fileMB: statSync(join(dir, 'history.jsonl')).size / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function noopClient(node: string): Client {
  return {
    node,
    async open() {},
    async invoke(op) {
      return { ...op, type: 'ok', value: op.f === 'read' ? null : op.value };
    },
    async close() {},
  };
}

async function cluster(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-cluster-'));
  const target: Target = createBuiltinTarget({ mode: 'leader-follower-sync', nodes: 3, options: {}, dir });
  try {
    await target.setup();
    return await drive(50, [...target.nodes], (node) => target.client(node));
  } finally {
    await target.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, f: Figures): string {
  return `${name.padEnd(38)} ${String(f.ops).padStart(9)} ${f.opsPerSecond.toFixed(0).padStart(10)} ${f.usPerOp.toFixed(2).padStart(9)} ${f.cpuUsPerOp.toFixed(2).padStart(10)} ${f.fileMB.toFixed(1).padStart(8)}`;
}

console.log(`bench/runner: register workload, ${seconds} s per row, unlimited rate (Node ${process.version})`);
console.log(`${'row'.padEnd(38)} ${'ops'.padStart(9)} ${'ops/s'.padStart(10)} ${'µs/op'.padStart(9)} ${'cpu µs/op'.padStart(10)} ${'file MB'.padStart(8)}`);
await drive(10, ['n1', 'n2', 'n3'], noopClient); // warm-up
const harness10 = await drive(10, ['n1', 'n2', 'n3'], noopClient);
console.log(row('harness, no-op client, concurrency 10', harness10));
const harness50 = await drive(50, ['n1', 'n2', 'n3'], noopClient);
console.log(row('harness, no-op client, concurrency 50', harness50));
const sync = await cluster();
console.log(row('builtin leader-follower-sync, conc. 50', sync));
console.log(
  `harness cost ${harness50.usPerOp.toFixed(2)} µs/op (goal < 10: ${harness50.usPerOp < 10 ? 'met' : 'NOT met'}); ` +
    `the sync cluster reaches ${sync.opsPerSecond.toFixed(0)} ops/s, ${(sync.opsPerSecond / harness50.opsPerSecond).toFixed(3)}× the harness's own ceiling`,
);
