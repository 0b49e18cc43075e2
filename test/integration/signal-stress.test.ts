// Issue 23: "every fault is healed on a normal end, an error or a signal", whatever the moment.
// A few dozen `faultline test` runs (the built-in store under partition, pause and kill; every
// eighth a described etcd), each signalled at a seeded moment — during network creation, while
// the nodes start, just after a fault starts, while one heals, during the final phase, teardown
// or the final check — with SIGINT or SIGTERM, to the process group or to faultline alone, once or
// twice in quick succession, through npx, directly, piped or in a terminal. After each: no process of the run
// (running or stopped), no namespace, no tagged rule, no owner record, and results.json written
// from the recorded history unless a second signal asked to quit at once. The runs go four at a
// time (they mostly wait). The long form, with figures: node dist/bench/signal-stress.js.
// SIGNAL_STRESS_SEED replays a seed; SIGNAL_STRESS_ITERATIONS changes the count.
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { failureReport, makePlans, runPlans, stressStoreRoot, summarize, type Plan } from '../../bench/signal-stress-harness.js';

const seed = Number(process.env.SIGNAL_STRESS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const iterations = Number(process.env.SIGNAL_STRESS_ITERATIONS ?? 30);
const storeRoot = stressStoreRoot();
afterAll(() => rmSync(storeRoot, { recursive: true, force: true }));

it(`signals at ${iterations} random moments leave nothing behind (seed ${seed})`, async () => {
  const outcomes = await runPlans(makePlans(seed, iterations), { storeRoot, concurrency: 4, keepFailed: false });
  const summary = summarize(outcomes, seed);
  console.log(summary.join('\n'));
  const report = failureReport(outcomes);
  expect(report, `${summary.join('\n')}\n${report.join('\n')}`).toEqual([]);
  // The moments were met, not missed: most runs were signalled while they ran.
  expect(outcomes.filter((o) => o.signalled).length).toBeGreaterThan(iterations / 2);
}, 900_000);

// The runs that failed before the fix, every time: the (npx typed in a terminal, SIGTERM
// to the job 0.5 s after start-pause: npm, the session leader, dies and the terminal hangs up on
// faultline), a Ctrl-C that also ends the reader of faultline's piped output, and a second Ctrl-C
// while teardown runs its commands.
it('the issue\'s run and its kin leave nothing behind', async () => {
  const base = { system: 'builtin', count: 1, gapMs: 0, seed: 23 } as const;
  const plans: Plan[] = [
    { ...base, index: 0, via: 'tty', to: 'group', signal: 'SIGTERM', moment: 'start-pause', delayMs: 500 },
    { ...base, index: 1, via: 'pipe', to: 'group', signal: 'SIGINT', moment: 'start-pause', delayMs: 100 },
    { ...base, index: 2, via: 'direct', to: 'group', signal: 'SIGINT', moment: 'teardown', delayMs: 50, count: 2, gapMs: 60 },
  ];
  const outcomes = await runPlans(plans, { storeRoot, concurrency: 3, keepFailed: false });
  const report = failureReport(outcomes);
  expect(report, report.join('\n')).toEqual([]);
  expect(outcomes.map((o) => o.signalled)).toEqual([true, true, true]);
  // One signal: checked and written; the second asked to quit at once.
  expect(outcomes.map((o) => o.quitAtOnce)).toEqual([false, false, true]);
}, 300_000);
