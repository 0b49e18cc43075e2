// The run report's operation timeline: a lane per process, the ops in a window around the first
// op an invalid result cites (those ops outlined), or the first ops of a valid run.
import type { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { escapeHtml } from './html.js';
import { processTimeline, type TimelineBar, timelineLegend } from './timeline.js';
import type { TimeAxis } from './run-series.js';

/** Invocations drawn before the first cited one, and after it. */
const BEFORE = 25;
const AFTER = 25;
/** Further cited ops are pulled into the window when they are at most this many invocations on. */
const REACH = 150;
const MAX_LANES = 40;
/** Invocations drawn for a run with nothing to point at. */
export const VALID_WINDOW = 50;

export interface RunTimeline {
  /** The drawing and its legend, or '' when there is nothing to draw. */
  html: string;
  /** History positions of the invocations drawn. */
  positions: number[];
  /** Window in seconds since the time origin, when the axis is time. */
  fromSeconds?: number;
  toSeconds?: number;
}

/** Client invocation positions, ascending. */
function invocations(h: History): Int32Array {
  const out: number[] = [];
  h.ops.forEach((op, i) => {
    if (op.type === 'invoke' && op.process !== 'nemesis') out.push(i);
  });
  return Int32Array.from(out);
}

function lowerBound(xs: Int32Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The invocations to draw: around the first cited one, or the first VALID_WINDOW. */
export function timelineWindow(h: History, citedPositions: readonly number[]): number[] {
  const inv = invocations(h);
  if (inv.length === 0) return [];
  if (citedPositions.length === 0) return Array.from(inv.subarray(0, VALID_WINDOW));
  const sorted = [...citedPositions].sort((a, b) => a - b);
  const k = lowerBound(inv, sorted[0]);
  let last = k;
  for (const p of sorted) {
    const j = lowerBound(inv, p);
    if (j - k <= REACH) last = Math.max(last, j);
  }
  const from = Math.max(0, k - BEFORE);
  const to = Math.min(inv.length, last + AFTER + 1);
  return Array.from(inv.subarray(from, to));
}

export function showValue(v: unknown, max = 40): string {
  let s: string;
  try {
    s = v === undefined ? '' : typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** "write 3", "read → 3", "cas [1,2]" — an op in a few words, with its result when it has one. */
export function opText(inv: Op, done: Op | undefined, max = 40): string {
  const arg = inv.value === null || inv.value === undefined ? '' : ` ${showValue(inv.value, max)}`;
  const key = inv.key === undefined ? '' : ` [${showValue(inv.key, 16)}]`;
  // What an ok op returned, when that is news: a read's value, null included (a read of nothing is
  // often the very value that makes a run invalid), or a result that differs from the argument.
  const changed =
    done?.type === 'ok' && done.value !== undefined && (inv.value === null || inv.value === undefined || JSON.stringify(done.value) !== JSON.stringify(inv.value));
  const res = changed ? ` → ${showValue(done.value, max)}` : '';
  const cond = done?.type === 'ok' && done.result === false ? ' (condition false)' : '';
  return `${inv.f}${key}${arg}${res}${cond}`;
}

const laneName = (p: Op['process']) => (p === 'nemesis' ? 'nemesis' : `process ${p}`);

/** A lane's label: the process, and the node its ops went to when that is one node. */
function laneLabel(h: History, positions: readonly number[], p: Op['process']): string {
  const nodes = new Set(positions.filter((q) => h.ops[q].process === p).map((q) => h.ops[q].node).filter((n) => n !== undefined));
  return nodes.size === 1 ? `${laneName(p)} · ${String([...nodes][0])}` : laneName(p);
}

export function renderRunTimeline(
  h: History,
  axis: TimeAxis,
  cited: ReadonlySet<number>,
  citedPositions: readonly number[],
  context: ReadonlySet<number> = new Set(),
): RunTimeline {
  const positions = timelineWindow(h, [...citedPositions, ...[...context].map((i) => h.positionOf(i)).filter((p) => p >= 0)]);
  if (positions.length === 0) return { html: '', positions };
  const hasTimes = axis.timed && positions.every((p) => typeof h.ops[p].time === 'number');
  // Time-proportional whenever there are times: labels that do not fit a thin bar are written
  // beside it (fitLabels), so a short op still shows its value.
  const timed = hasTimes;
  const x = (pos: number) => (timed ? (h.ops[pos].time as number) - axis.origin : pos);
  const isCited = (pos: number) => {
    if (cited.has(h.ops[pos].index)) return true;
    const c = h.pair[pos];
    return c >= 0 && cited.has(h.ops[c].index);
  };
  const bars: TimelineBar[] = [];
  let from = Infinity;
  let to = -Infinity;
  for (const p of positions) {
    const inv = h.ops[p];
    const c = h.pair[p];
    const done = c >= 0 ? h.ops[c] : undefined;
    const known = done && done.type !== 'info' && (!timed || typeof done.time === 'number');
    const start = x(p);
    const end = known ? x(c) : null;
    from = Math.min(from, start);
    to = Math.max(to, end ?? start);
    bars.push({
      id: inv.index,
      lane: laneLabel(h, positions, inv.process),
      start,
      end,
      outcome: done?.type === 'ok' ? 'ok' : done?.type === 'fail' ? 'fail' : 'unknown',
      // The op's index is in its tooltip and the cited-ops table: in a narrow bar the value says more.
      label: opText(inv, done, 40),
      tooltip: tooltip(h, p, done, axis),
      highlight: isCited(p),
      accent: !isCited(p) && (context.has(inv.index) || (c >= 0 && context.has(h.ops[c].index))),
    });
  }
  // Past MAX_LANES the picture is unreadable: lanes with cited ops are kept first.
  const laneRank = new Map<string, number>();
  for (const b of bars) laneRank.set(b.lane, Math.min(laneRank.get(b.lane) ?? 1, b.highlight ? 0 : 1));
  let lanes = [...laneRank.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  let dropped = 0;
  if (lanes.length > MAX_LANES) {
    const kept = new Set([...lanes].sort((a, b) => laneRank.get(a)! - laneRank.get(b)!).slice(0, MAX_LANES));
    dropped = lanes.length - kept.size;
    lanes = lanes.filter((l) => kept.has(l));
  }
  const svg = processTimeline({
    bars: bars.filter((b) => lanes.includes(b.lane)),
    axis: timed ? 'time' : 'position',
    ...(timed ? {} : { axisLabel: 'order of events in the history (ticks: the op index there)', tickLabel: (v: number) => (Number.isInteger(v) && h.ops[v] ? String(h.ops[v].index) : '') }),
    from,
    to,
    lanes,
    width: 1150,
    ariaLabel: cited.size ? 'timeline of the ops around the first anomaly' : 'timeline of the first ops',
    idPrefix: 'run',
    fitLabels: true,
  });
  const legend = timelineLegend({
    ...(cited.size ? { highlight: 'an op the evidence cites' } : {}),
    ...(context.size ? { accent: 'the op that left the state the evidence names' } : {}),
  });
  const notes: string[] = [];
  if (dropped) notes.push(`${dropped} more processes have ops in this window but are not drawn.`);
  if (!hasTimes) notes.push('The ops carry no times, so they are placed by their position in the history.');
  notes.push('Each bar is labelled with the op and what it returned; a label too long for its bar is written beside it. The cited ops are also listed below with their times.');
  return {
    html: `${legend}<div class="figure">${svg}</div><p class="muted">${escapeHtml(notes.join(' '))}</p>`,
    positions,
    ...(timed ? { fromSeconds: from / 1e9, toSeconds: to / 1e9 } : {}),
  };
}

function tooltip(h: History, p: number, done: Op | undefined, axis: TimeAxis): string {
  const inv = h.ops[p];
  const parts = [`op ${inv.index}`, laneName(inv.process), opText(inv, done, 200)];
  parts.push(done ? `${done.type}${done.error !== undefined ? ` (${showValue(done.error, 80)})` : ''}` : 'never completed');
  if (typeof inv.time === 'number') {
    const t = (inv.time - axis.origin) / 1e9;
    const lat = done && typeof done.time === 'number' ? `, took ${((done.time - inv.time) / 1e6).toFixed(3)} ms` : '';
    parts.push(`invoked at ${t.toFixed(3)} s${lat}`);
  }
  if (inv.node !== undefined) parts.push(`node ${String(inv.node)}`);
  return parts.join(' · ');
}
