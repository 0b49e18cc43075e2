// The nemesis's schedule as a generator: wait, start a fault on a random node, wait, stop it, and
// again, choosing among the configured faults with the test's seeded random stream.
import { sleep } from '../workloads/generator/combinators.js';
import type { Context, GenLike } from '../workloads/generator/types.js';

export function faultSchedule(faults: readonly string[], intervalNs: number, nodes: readonly string[]): GenLike {
  if (faults.length === 0) return null;
  return (ctx: Context) => {
    const fault = ctx.random.pick(faults);
    const node = ctx.random.pick(nodes);
    return [sleep(intervalNs), { f: `start-${fault}`, value: [node] }, sleep(intervalNs), { f: `stop-${fault}`, value: null }];
  };
}
