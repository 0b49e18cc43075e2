// The whole run on one time-proportional axis (Jepsen's timeline, compressed): a lane per client
// thread with every op from invocation to completion coloured by outcome, the faults as bands in
// a lane of their own and shaded behind the threads, the cited ops marked, and the stretch the
// detailed timeline draws bracketed. Ops sharing a pixel are drawn once (the worst outcome wins),
// so the drawing stays small for any history length.
import type { History } from '../histories/history.js';
import type { FaultTimeline } from './fault-intervals.js';
import { escapeHtml as esc } from './html.js';
import { faultColors, formatSeconds, OUTCOME_COLORS } from './run-plots.js';
import type { TimeAxis } from './run-series.js';
import { group, line, polyline, rect, svg, text, title } from './svg.js';

const WIDTH = 1150;
const LABEL_W = 110;
const RIGHT = 20;
const LANE_H = 14;
const FAULT_LANE_H = 14;
const TOP = 16;
const AXIS_H = 34;
const MAX_LANES = 64;

export interface OverviewInput {
  h: History;
  axis: TimeAxis;
  faults: FaultTimeline;
  /** Client threads (ops of process p go to lane p mod concurrency); without it, a lane per process. */
  concurrency?: number;
  /** History positions of cited invocations: marked with a red tick above their lane. */
  cited: readonly number[];
  /** The detailed timeline's window, seconds since the origin. */
  window?: { from: number; to: number };
}

// Outcome ranks: a pixel holding several ops shows the one that matters most.
const RANK = { ok: 1, fail: 2, info: 3 } as const;

export function renderOverview({ h, axis, faults, concurrency, cited, window }: OverviewInput): string {
  if (!axis.timed) return '<p>The ops carry no times: there is no time axis to lay the run on.</p>';
  const span = Math.max((axis.end - axis.origin) / 1e9, 0.001);
  const x0 = LABEL_W;
  const x1 = WIDTH - RIGHT;
  const sx = (ns: number) => x0 + (((ns - axis.origin) / 1e9) / span) * (x1 - x0);
  const laneOf = (p: number) => (concurrency !== undefined && concurrency > 0 ? p % concurrency : p);
  // Per lane, per pixel: the worst outcome drawn there.
  const lanes = new Map<number, Uint8Array>();
  const cols = Math.ceil(x1 - x0) + 1;
  let ops = 0;
  for (let i = 0; i < h.ops.length; i++) {
    const op = h.ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis' || typeof op.time !== 'number') continue;
    const c = h.pair[i];
    const done = c >= 0 ? h.ops[c] : undefined;
    const end = typeof done?.time === 'number' ? done.time : axis.end;
    const rankOf = done?.type === 'ok' ? RANK.ok : done?.type === 'fail' ? RANK.fail : RANK.info;
    const lane = laneOf(op.process);
    let px = lanes.get(lane);
    if (!px) lanes.set(lane, (px = new Uint8Array(cols)));
    const a = Math.max(0, Math.floor(sx(op.time) - x0));
    const b = Math.min(cols - 1, Math.max(a, Math.floor(sx(end) - x0)));
    for (let k = a; k <= b; k++) if (px[k] < rankOf) px[k] = rankOf;
    ops++;
  }
  if (ops === 0) return '<p>The history has no client ops with times.</p>';
  const laneIds = [...lanes.keys()].sort((a, b) => a - b).slice(0, MAX_LANES);
  const colors = faultColors(faults);
  // A row per kind of fault, so faults that overlap in time do not cover each other.
  const faultRow = new Map([...colors.keys()].map((f, k) => [f, k]));
  const faultRows = Math.max(1, faultRow.size);
  const laneY = (k: number) => TOP + faultRows * FAULT_LANE_H + 4 + k * LANE_H;
  const bottom = laneY(laneIds.length) + 4;
  const height = bottom + AXIS_H;
  const parts: string[] = [];
  // Faults: a band in their row (labelled, or named in its tooltip when too narrow) and a light shade behind every thread.
  for (const iv of faults.intervals) {
    const a = sx(iv.start);
    const w = Math.max(2, sx(iv.end) - a);
    const color = colors.get(iv.fault)!;
    const y = TOP + faultRow.get(iv.fault)! * FAULT_LANE_H;
    parts.push(rect({ x: a, y: TOP, width: w, height: bottom - TOP, fill: color, opacity: 0.1 }));
    parts.push(
      group({ class: 'fault' }, [
        title(`${iv.fault} ${((iv.start - axis.origin) / 1e9).toFixed(2)}–${((iv.end - axis.origin) / 1e9).toFixed(2)} s`),
        rect({ x: a, y, width: w, height: FAULT_LANE_H - 2, fill: color, opacity: 0.6, rx: 2 }),
      ]),
    );
  }
  for (const [fault, k] of faultRow) {
    parts.push(text({ x: x0 - 8, y: TOP + k * FAULT_LANE_H + FAULT_LANE_H / 2 - 1, 'text-anchor': 'end', 'dominant-baseline': 'central', fill: '#3a3a3c' }, fault));
  }
  if (faultRow.size === 0) parts.push(text({ x: x0 - 8, y: TOP + FAULT_LANE_H / 2 - 1, 'text-anchor': 'end', 'dominant-baseline': 'central', fill: '#8e8e93' }, 'no faults'));
  const fill = ['', OUTCOME_COLORS.ok, OUTCOME_COLORS.fail, OUTCOME_COLORS.info];
  laneIds.forEach((lane, k) => {
    const y = laneY(k);
    parts.push(text({ x: x0 - 8, y: y + LANE_H / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', fill: '#3a3a3c', 'font-size': 10 }, `${concurrency ? 'thread' : 'process'} ${lane}`));
    const px = lanes.get(lane)!;
    // Runs of one outcome, one rectangle each.
    let k0 = 0;
    while (k0 < cols) {
      const r = px[k0];
      let k1 = k0;
      while (k1 + 1 < cols && px[k1 + 1] === r) k1++;
      if (r > 0) parts.push(rect({ x: x0 + k0, y: y + 1.5, width: k1 - k0 + 1, height: LANE_H - 3, fill: fill[r] }));
      k0 = k1 + 1;
    }
  });
  // Cited ops: a red tick above their lane.
  for (const p of cited) {
    const op = h.ops[p];
    if (typeof op.time !== 'number' || op.process === 'nemesis') continue;
    const k = laneIds.indexOf(laneOf(op.process));
    if (k < 0) continue;
    const x = sx(op.time);
    parts.push(polyline([[x - 3, laneY(k) - 3], [x, laneY(k) + 2], [x + 3, laneY(k) - 3]], { stroke: '#d40000', 'stroke-width': 1.6, class: 'cited' }));
  }
  if (window) {
    const a = x0 + (window.from / span) * (x1 - x0);
    const b = Math.max(a + 2, x0 + (window.to / span) * (x1 - x0));
    parts.push(rect({ x: a, y: TOP - 2, width: b - a, height: bottom - TOP + 4, fill: 'none', stroke: '#1d1d1f', 'stroke-width': 1, 'stroke-dasharray': '3 2', class: 'window' }));
  }
  // Axis: seconds.
  const step = niceStep(span / 10);
  for (let k = 0; k * step <= span + 1e-9; k++) {
    const x = x0 + ((k * step) / span) * (x1 - x0);
    parts.push(line({ x1: x, y1: bottom, x2: x, y2: bottom + 4, stroke: '#8e8e93' }));
    parts.push(text({ x, y: bottom + 15, 'text-anchor': 'middle', fill: '#515154', 'font-size': 10 }, String(Number((k * step).toFixed(3)))));
  }
  parts.push(line({ x1: x0, y1: bottom, x2: x1, y2: bottom, stroke: '#8e8e93' }));
  parts.push(text({ x: (x0 + x1) / 2, y: bottom + 29, 'text-anchor': 'middle', fill: '#515154', 'font-size': 10 }, 'time since the test started (s)'));
  const drawing = svg(WIDTH, height, parts, { role: 'img', 'aria-label': 'the whole run on a time axis', class: 'overview', 'font-family': 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif', 'font-size': 11 });
  const dropped = lanes.size - laneIds.length;
  const legend =
    `<ul class="legend">${(['ok', 'fail', 'info'] as const).map((o) => `<li><span class="swatch" style="background:${OUTCOME_COLORS[o]}"></span>${o === 'info' ? 'info or never completed' : o}</li>`).join('')}` +
    (cited.length ? '<li><span style="color:#d40000;font-weight:700">∨</span>a cited op</li>' : '') +
    (window ? '<li><span class="swatch" style="border:1px dashed #1d1d1f;background:none"></span>the stretch drawn in detail above</li>' : '') +
    '</ul>';
  const note = `${ops} ops over ${formatSeconds(span)}, a lane per ${concurrency ? 'client thread (a thread takes a new process number after an info)' : 'process'}; where ops share a pixel the worst outcome is drawn.${dropped ? ` ${dropped} more lanes not drawn.` : ''}`;
  return `${legend}<div class="figure">${drawing}</div><p class="muted">${esc(note)}</p>`;
}

function niceStep(rough: number): number {
  const p = 10 ** Math.floor(Math.log10(rough));
  const m = rough / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
