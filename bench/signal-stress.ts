// bench/signal-stress: the long form of test/integration/signal-stress.test.ts (issue 23).
// Hundreds of `faultline test` runs under partition, pause and kill, each signalled at a seeded
// moment (SIGINT or SIGTERM, to the process group or to faultline alone, once or twice, through
// npx, directly, piped or npx in a terminal), each then checked for what it left: processes (running or stopped),
// namespaces, tagged rules, owner records, results.json. Prints the figures: iterations,
// failures by kind and by moment, timings; and every failed iteration's plan and output.
// Needs root (namespaces, iptables) and a build (npm run build).
//
//   node dist/bench/signal-stress.js [ITERATIONS (300)] [--concurrency N (4)] [--seed S] [--etcd-every K (8)] [--time-limit T (8)]
import { rmSync } from 'node:fs';
import { describePlan, failureReport, makePlans, runPlans, stressStoreRoot, summarize } from './signal-stress-harness.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}

if (process.getuid?.() !== 0) {
  console.error('bench/signal-stress needs root (network namespaces and iptables)');
  process.exit(1);
}
const positional = process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && !(all[i - 1] ?? '').startsWith('--'));
const iterations = positional !== undefined ? Number(positional) : 300;
const seed = flag('seed', Math.floor(Math.random() * 2 ** 31));
const concurrency = flag('concurrency', 4);
const plans = makePlans(seed, iterations, { etcdEvery: flag('etcd-every', 8) });
const storeRoot = stressStoreRoot();
const started = Date.now();
let done = 0;
let failed = 0;
console.log(`signal stress: ${iterations} iterations, seed ${seed}, ${concurrency} at a time; stores under ${storeRoot}`);
const outcomes = await runPlans(plans, {
  storeRoot,
  concurrency,
  timeLimit: flag('time-limit', 8),
  onDone: (o) => {
    done++;
    if (o.failures.length > 0) {
      failed++;
      console.log(`FAILED ${describePlan(o.plan)}: ${o.failures.map((f) => f.kind).join(', ')}`);
    }
    if (done % 10 === 0 || done === iterations) console.log(`${done}/${iterations} done, ${failed} failed, ${Math.round((Date.now() - started) / 1000)} s`);
  },
});
console.log('');
for (const line of summarize(outcomes, seed)) console.log(line);
console.log(`  wall time: ${Math.round((Date.now() - started) / 1000)} s at ${concurrency} at a time`);
const report = failureReport(outcomes);
if (report.length > 0) {
  console.log('\nfailed iterations (their stores are kept):');
  for (const line of report) console.log(line);
} else {
  rmSync(storeRoot, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);
