// The nemesis's schedule as a generator. Each round: wait an interval (± jitter), start every
// configured fault (in a random order, spaced hold/k apart, so with several kinds they overlap),
// hold each for `hold` (default: the interval), and stop them in the same order. With one fault this is: wait, start, wait, stop.
// Every choice (order, node, partition shape) comes from the test's seeded random stream, so a
// seed replays the schedule.
// The schedule is written in the generator protocol's plain forms (workloads/generator/types.ts:
// a function of the context returning an array of op templates), so it is a generator without
// the nemesis importing the generator package: the runner composes it with the combinators.
import type { Random } from '../base/random.js';
import { shape, shuffle, SHAPE_NAMES, type ShapeName } from './grudge.js';

/** A step of a round, as a generator op template: a fault op, or a sleep of `value` ns. */
export type ScheduleStep = { f: string; value: unknown; type?: 'sleep' };

/** What a round is computed from: the generator context's seeded random stream. */
export type ScheduleContext = { readonly random: Random };

/** The schedule: a generator (a function of the context, called again for each round), or null. */
export type Schedule = ((ctx: ScheduleContext) => ScheduleStep[]) | null;

/** The generator protocol's sleep op (workloads/generator's `sleep`): occupies the thread for `ns`. */
function sleep(ns: number): ScheduleStep {
  if (!(ns >= 0)) throw new RangeError(`sleep: ns must be ≥ 0, not ${ns}`);
  return { type: 'sleep', f: 'sleep', value: ns };
}

export interface ScheduleOptions {
  /** Partition shapes the schedule picks from (default: all of SHAPE_NAMES). */
  partitions?: readonly ShapeName[];
  /** How long each fault is held, in ns. Default: the interval. */
  holdNs?: number;
  /** The quiet wait before each round varies uniformly by ± this many ns. Default 0. */
  jitterNs?: number;
}

/**
 * What `start-<fault>` acts on. A partition gets its grudge, computed here so the history's
 * invocation shows it, except `primaries`, which only the target knows at that moment: then the
 * shape's name, and the completion records the grudge applied. Other faults get one random node.
 */
export function startValue(fault: string, random: Random, nodes: readonly string[], options: ScheduleOptions = {}): unknown {
  if (fault === 'partition') {
    const name = random.pick(options.partitions && options.partitions.length > 0 ? options.partitions : SHAPE_NAMES);
    return name === 'primaries' ? name : shape(name, nodes, random);
  }
  return [random.pick(nodes)];
}

export function faultSchedule(faults: readonly string[], intervalNs: number, nodes: readonly string[], options: ScheduleOptions = {}): Schedule {
  if (faults.length === 0) return null;
  const holdNs = options.holdNs ?? intervalNs;
  const jitterNs = Math.min(options.jitterNs ?? 0, intervalNs);
  return (ctx: ScheduleContext) => {
    const order = shuffle(faults, ctx.random);
    const gap = holdNs / order.length;
    const quiet = jitterNs > 0 ? intervalNs - jitterNs + ctx.random.next() * 2 * jitterNs : intervalNs;
    const round: ScheduleStep[] = [sleep(Math.round(quiet))];
    for (const f of order) round.push({ f: `start-${f}`, value: startValue(f, ctx.random, nodes, options) }, sleep(gap));
    order.forEach((f, i) => {
      round.push({ f: `stop-${f}`, value: null });
      if (i < order.length - 1) round.push(sleep(gap));
    });
    return round;
  };
}
