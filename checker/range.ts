// Range reads of the register workload (f `range`, value [start, end)), checked as a sharded store
// promises them: atomic within each part the store read together, not across parts. A range's ok
// value is its parts, `[[[key, value], …], …]`; keys that share a part in any range read are one
// *group* (a shard: its keys are read together). Per group, every register op on its keys and
// every range part over them become ops of the multi-register model — a write `[w k v]`, a cas
// that took effect `[r k expected] [w k new]`, a read `[r k v]`, a part `[r k v]…` plus `[r k null]`
// for each of the group's keys in the range that no part listed — and the group must be
// linearizable. So a part that mixes two moments of its shard is found; two parts from different
// moments are allowed. How often they were (the range not atomic as a whole) is measured, not
// judged: the same check over every key at once.
import type { Op, Process } from '../histories/op.js';
import { History } from '../histories/history.js';
import { canonicalJson } from '../base/json.js';
import { checkLinearizable } from './linearizable/check.js';
import { compareElements } from '../targets/builtin/state-machine.js';
import type { CheckContext, Checker, Result } from './types.js';

type Pair = [unknown, unknown];

function isParts(v: unknown): v is Pair[][] {
  return Array.isArray(v) && v.every((p) => Array.isArray(p) && p.every((e) => Array.isArray(e) && e.length === 2));
}

function inRange(key: unknown, bounds: unknown): boolean {
  if (!Array.isArray(bounds) || bounds.length !== 2) return false;
  return compareElements(key, bounds[0]) >= 0 && compareElements(key, bounds[1]) < 0;
}

/** Union-find over key ids. */
class Groups {
  private readonly parent: number[] = [];
  private readonly ids = new Map<string, number>();
  readonly keys: unknown[] = [];

  id(key: unknown): number {
    const c = canonicalJson(key);
    let id = this.ids.get(c);
    if (id === undefined) {
      id = this.keys.length;
      this.ids.set(c, id);
      this.keys.push(key);
      this.parent.push(id);
    }
    return id;
  }

  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]];
      x = this.parent[x];
    }
    return x;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

interface Synth {
  group: number;
  /** The original invocation's position, for evidence. */
  origin: number;
  inv: Op;
  done: Op;
}

/** The multi-register txn of one register op, or undefined when it had no effect to model. */
function registerTxn(inv: Op, done: Op): { mops: unknown[][]; result: unknown[][] } | undefined {
  const k = inv.key;
  if (inv.f === 'write' && (done.type === 'ok' || done.type === 'info')) return { mops: [['w', k, inv.value]], result: [['w', k, inv.value]] };
  if (inv.f === 'cas' && Array.isArray(inv.value) && ((done.type === 'ok' && done.result !== false) || done.type === 'info')) {
    const [expected, next] = inv.value as [unknown, unknown];
    // An info cas may or may not have written: modelled as a txn that may or may not have happened,
    // whose read is not checked (a looser model, so never a false alarm).
    return { mops: [['r', k, null], ['w', k, next]], result: [['r', k, expected], ['w', k, next]] };
  }
  if (inv.f === 'read' && done.type === 'ok') return { mops: [['r', k, null]], result: [['r', k, done.value]] };
  return undefined;
}

/** Per group, the history of the multi-register model; `all` puts every key in one group. */
function groupHistories(h: History, all: boolean): { histories: Map<number, { ops: Op[]; origins: number[] }>; ranges: number } {
  const groups = new Groups();
  const ops = h.ops;
  let ranges = 0;
  // Keys read together, and every key written (so a range's missing keys read null).
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.process === 'nemesis' || op.type === 'invoke') continue;
    const inv = h.ops[h.pair[i]];
    if (inv === undefined) continue;
    if (inv.f === 'range' && op.type === 'ok' && isParts(op.value)) {
      ranges++;
      for (const part of op.value) for (let j = 1; j < part.length; j++) groups.union(groups.id(part[0][0]), groups.id(part[j][0]));
      for (const part of op.value) for (const [k] of part) groups.id(k);
    } else if (inv.key !== undefined) groups.id(inv.key);
  }
  if (all) for (let k = 1; k < groups.keys.length; k++) groups.union(0, k);
  const synth: Synth[] = [];
  let extra = 0;
  for (let i = 0; i < ops.length; i++) {
    const inv = ops[i];
    if (inv.process === 'nemesis' || inv.type !== 'invoke') continue;
    const c = h.pair[i];
    if (c < 0) continue;
    const done = ops[c];
    if (inv.f === 'range') {
      if (done.type !== 'ok' || !isParts(done.value)) continue;
      const byGroup = new Map<number, unknown[][][]>();
      for (const part of done.value) {
        if (part.length === 0) continue;
        const g = groups.find(groups.id(part[0][0]));
        const list = byGroup.get(g) ?? [];
        const reads = part.map(([k, v]) => ['r', k, v]);
        // Over every key at once the range is one read; per group, each part is its own.
        if (all && list.length > 0) list[0].push(...reads);
        else list.push(reads);
        byGroup.set(g, list);
      }
      // Keys of the range no part listed were absent: null, read with the part of their group.
      const listed = new Set(done.value.flatMap((p) => p.map(([k]) => canonicalJson(k))));
      for (let id = 0; id < groups.keys.length; id++) {
        const k = groups.keys[id];
        if (listed.has(canonicalJson(k)) || !inRange(k, inv.value)) continue;
        const g = groups.find(id);
        const list = byGroup.get(g) ?? [[]];
        list[0].push(['r', k, null]);
        byGroup.set(g, list);
      }
      for (const [g, parts] of byGroup) {
        parts.forEach((reads, n) => {
          // A second part of one range in one group reads as its own op, on its own process.
          const process: Process = n === 0 ? inv.process : typeof inv.process === 'number' ? inv.process + 1e9 * n : inv.process;
          const index = n === 0 ? inv.index : -(++extra);
          synth.push({
            group: g,
            origin: i,
            inv: { ...inv, index, process, f: 'txn', key: undefined, value: reads.map(([, k]) => ['r', k, null]) },
            done: { ...done, index: n === 0 ? done.index : -(++extra), process, f: 'txn', key: undefined, value: reads },
          });
        });
      }
      continue;
    }
    if (inv.key === undefined) continue;
    const t = registerTxn(inv, done);
    if (t === undefined) continue;
    const g = groups.find(groups.id(inv.key));
    synth.push({ group: g, origin: i, inv: { ...inv, f: 'txn', key: undefined, value: t.mops }, done: { ...done, f: 'txn', key: undefined, value: t.result } });
  }
  // Each group's ops in history order: invocations and completions interleaved by position.
  const events: { at: number; group: number; op: Op; origin: number }[] = [];
  for (const s of synth) {
    events.push({ at: s.origin, group: s.group, op: s.inv, origin: s.origin });
    events.push({ at: h.pair[s.origin] + (s.inv.index < 0 ? 0.5 : 0), group: s.group, op: s.done, origin: s.origin });
  }
  events.sort((a, b) => a.at - b.at);
  const histories = new Map<number, { ops: Op[]; origins: number[] }>();
  const withRanges = new Set(synth.filter((s) => ops[s.origin].f === 'range').map((s) => s.group));
  for (const e of events) {
    if (!withRanges.has(e.group)) continue;
    let g = histories.get(e.group);
    if (!g) histories.set(e.group, (g = { ops: [], origins: [] }));
    g.ops.push(e.op);
    g.origins.push(e.origin);
  }
  return { histories, ranges };
}

async function checkGroups(h: History, all: boolean, deadline: number | undefined): Promise<{ result: Result; groups: number; ranges: number }> {
  const { histories, ranges } = groupHistories(h, all);
  let unknown: Result | undefined;
  for (const [, g] of histories) {
    // Indices renumbered densely (parts split from one range carry placeholders); results cite the original ops.
    const ops = g.ops.map((op, j) => ({ ...op, index: j }));
    const r = await checkLinearizable(new History(ops, { file: h.file }), 'multi-register', { deadline, partition: false });
    if (r.valid === false) {
      const cited = (r.ops ?? []).map((j) => h.ops[g.origins[j]]?.index).filter((x): x is number => x !== undefined);
      return { result: { ...r, ops: [...new Set(cited)] }, groups: histories.size, ranges };
    }
    if (r.valid === 'unknown') unknown ??= r;
  }
  return { result: unknown ?? { valid: true }, groups: histories.size, ranges };
}

export const rangeChecker: Checker = {
  name: 'range',
  description: 'range reads: each part a store read together is atomic (multi-register linearizable with the writes to its keys); parts need not be atomic together',
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const per = await checkGroups(h, false, ctx.deadline);
    if (per.ranges === 0) return { valid: 'unknown', reason: 'nothing-to-check', explanation: 'no range read completed ok, so there was nothing to check' };
    const keyGroups = `${per.groups} group${per.groups === 1 ? '' : 's'} of keys read together`;
    if (per.result.valid === false) {
      return { ...per.result, ranges: per.ranges, groups: per.groups, explanation: `a range read's part is not atomic: ${String(per.result.explanation ?? 'no linearization exists')} (${keyGroups})` };
    }
    // Measured, not judged: could every range have been read at one instant?
    const whole = await checkGroups(h, true, ctx.deadline);
    const acrossParts =
      whole.result.valid === true ? 'atomic' : whole.result.valid === false ? `not atomic: ${String(whole.result.explanation ?? '')}` : 'undecided';
    return {
      valid: per.result.valid,
      ranges: per.ranges,
      groups: per.groups,
      acrossParts,
      ...(per.result.valid === 'unknown' ? { reason: per.result.reason ?? 'time-limit', explanation: per.result.explanation } : {}),
    };
  },
};

/** `checker` over the history without its range reads (which carry no key). */
export function withoutRanges(checker: Checker): Checker {
  return {
    name: checker.name,
    description: checker.description,
    check(h, ctx) {
      const keep: number[] = [];
      for (let i = 0; i < h.ops.length; i++) {
        const op = h.ops[i];
        const inv = op.type === 'invoke' ? op : h.invocation(i);
        if ((inv ?? op).f !== 'range') keep.push(i);
      }
      return checker.check(keep.length === h.ops.length ? h : h.subset(keep), ctx);
    },
    ...(checker.render ? { render: checker.render.bind(checker) } : {}),
  };
}
