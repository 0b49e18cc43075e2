// A linearizability failure on a time axis: one row per op — the last steps of the order found for
// the ops before the failing one, then the failing op, then the ops concurrent with it that the
// order leaves out — each bar from invocation to completion, with the op, what it returned and the
// state after it written beside it, and the order drawn through the rows where each step takes
// effect. A row per op keeps every value readable however short the ops are.
import { pathXs } from './linearizable-view.js';
import type { Result } from '../checker/types.js';
import type { History } from '../histories/history.js';
import { escapeHtml as esc } from './html.js';
import { checkerResults } from './run-evidence.js';
import { opText } from './run-timeline.js';
import type { TimeAxis } from './run-series.js';
import { circle, group, line, polyline, rect, svg, text, title } from './svg.js';

const STEPS = 14;
const MAX_CONCURRENT = 6;
const WIDTH = 1150;
const LABEL_W = 150;
const RIGHT = 16;
const ROW_H = 22;
const BAR_H = 12;
const TOP = 8;
const AXIS_H = 36;
const CHAR_W = 6.3;

interface Failure {
  op: { index: number; completionIndex: number; type: string };
  prefix: { ops?: number; linearization: number[]; states: string[]; finalStates: string[] };
  concurrent: { index: number }[];
  key?: unknown;
}

function failureOf(r: Result): Failure | undefined {
  const f = r.failure as Partial<Failure> | undefined;
  if (!f?.op || !f.prefix || !Array.isArray(f.prefix.linearization) || !Array.isArray(f.prefix.states)) return undefined;
  return { concurrent: [], ...f } as Failure;
}

/** The first invalid result that carries a linearizability failure, with its checker's name. */
export function linearizabilityFailure(results: Result): { checker: string; model: string; failure: Failure } | undefined {
  for (const { name, result } of checkerResults(results)) {
    if (result.valid !== false) continue;
    const failure = failureOf(result);
    if (failure) return { checker: name, model: typeof result.model === 'string' ? result.model : 'model', failure };
  }
  return undefined;
}

interface Row {
  pos: number;
  kind: 'step' | 'failing' | 'concurrent';
  step?: number;
  state?: string;
}

export function renderLinearized(h: History, axis: TimeAxis, results: Result): string {
  const found = linearizabilityFailure(results);
  if (!found || !axis.timed) return '';
  const { failure, model } = found;
  const fInv = h.positionOf(failure.op.index);
  const fComp = h.positionOf(failure.op.completionIndex);
  if (fInv < 0 || fComp < 0) return '';
  const lin = failure.prefix.linearization.map((i) => h.positionOf(i));
  if (lin.some((p) => p < 0) || [fInv, fComp, ...lin].some((p) => typeof h.ops[p].time !== 'number')) return '';
  const first = Math.max(0, lin.length - STEPS);
  const rows: Row[] = [];
  for (let k = first; k < lin.length; k++) rows.push({ pos: lin[k], kind: 'step', step: k + 1, state: failure.prefix.states[k] });
  rows.push({ pos: fInv, kind: 'failing' });
  const inOrder = new Set(lin);
  for (const c of failure.concurrent) {
    const p = h.positionOf(c.index);
    if (p >= 0 && !inOrder.has(p) && typeof h.ops[p].time === 'number' && rows.filter((r) => r.kind === 'concurrent').length < MAX_CONCURRENT) rows.push({ pos: p, kind: 'concurrent' });
  }
  const endOf = (p: number): number | null => {
    const c = h.pair[p];
    return c >= 0 && h.ops[c].type !== 'info' && typeof h.ops[c].time === 'number' ? (h.ops[c].time as number) : null;
  };
  const fEnd = h.ops[fComp].time as number;
  let from = Infinity;
  let to = fEnd;
  for (const r of rows) {
    from = Math.min(from, h.ops[r.pos].time as number);
    const e = endOf(r.pos);
    if (e !== null) to = Math.max(to, Math.min(e, fEnd + (fEnd - from) * 0.3));
  }
  const pad = (to - from) * 0.02 || 1e6;
  const d0 = from - pad;
  const d1 = to + pad;
  const x0 = LABEL_W;
  const x1 = WIDTH - RIGHT;
  const sx = (ns: number) => x0 + ((ns - d0) / (d1 - d0)) * (x1 - x0);
  const rowY = (k: number) => TOP + k * ROW_H + ROW_H / 2;
  const bottom = TOP + rows.length * ROW_H + 6;
  const height = bottom + AXIS_H;
  const parts: string[] = [];
  // Under everything: row stripes and the grid.
  const under: string[] = [];
  rows.forEach((r, k) => {
    if (k % 2 === 0) under.push(rect({ x: 0, y: TOP + k * ROW_H, width: WIDTH, height: ROW_H, fill: '#f6f7f9' }));
  });
  // Where each step takes effect: inside its op, in order (the checker view's rule).
  const stepRows = rows.filter((r) => r.kind === 'step');
  const xs = pathXs(lin.map((p) => ({ start: h.ops[p].time as number, end: endOf(p) ?? Infinity })), fEnd, (d1 - d0) / 400).slice(first);
  const dots: [number, number][] = [];
  // Labels go on top of everything (the path line crosses rows), each on a white halo.
  const labels: string[] = [];
  rows.forEach((r, k) => {
    const inv = h.ops[r.pos];
    const c = h.pair[r.pos];
    const done = c >= 0 ? h.ops[c] : undefined;
    const y = rowY(k);
    const a = Math.max(x0, sx(inv.time as number));
    const end = endOf(r.pos);
    const b = end === null ? x1 : Math.max(a + 4, Math.min(x1, sx(end)));
    const outcome = done?.type === 'ok' ? 'ok' : done?.type === 'fail' ? 'fail' : 'info';
    const color = r.kind === 'failing' ? '#d40000' : outcome === 'ok' ? '#3d8b4c' : outcome === 'fail' ? '#9a9a9a' : '#c08400';
    const who = r.kind === 'step' ? `step ${r.step}` : r.kind === 'failing' ? 'cannot follow' : 'concurrent';
    parts.push(text({ x: 8, y, 'dominant-baseline': 'central', fill: r.kind === 'failing' ? '#9b1c1c' : '#3a3a3c', 'font-weight': r.kind === 'failing' ? 700 : undefined }, `${who} · p${String(inv.process)}${inv.node === undefined ? '' : ` · ${String(inv.node)}`}`));
    parts.push(
      group({ class: `lin-op ${r.kind}`, 'data-index': String(inv.index) }, [
        title(`op ${inv.index} · process ${String(inv.process)} · ${opText(inv, done, 200)} · ${done?.type ?? 'never completed'}`),
        rect({ x: a, y: y - BAR_H / 2, width: b - a, height: BAR_H, rx: 2, fill: r.kind === 'failing' ? '#fde2e2' : outcome === 'ok' ? '#d5ecd8' : outcome === 'fail' ? '#ececec' : '#fff4d6', stroke: color, 'stroke-width': r.kind === 'failing' ? 2 : 1, 'stroke-dasharray': outcome === 'info' ? '4 3' : undefined }),
      ]),
    );
    const what =
      r.kind === 'step'
        ? `${opText(inv, done, 40)}  ⇒ state ${r.state ?? '?'}`
        : r.kind === 'failing'
          ? `${opText(inv, done, 40)}  ✗ cannot follow state ${failure.prefix.finalStates.join(' or ') || '?'}`
          : `${opText(inv, done, 40)} (${outcome === 'info' ? 'outcome unknown' : outcome === 'fail' ? 'failed' : 'still in flight'}, left out of the order)`;
    const w = what.length * CHAR_W;
    const right = b + 6 + w <= WIDTH - 4;
    labels.push(
      text(
        { class: 'lin-label', x: right ? b + 6 : Math.max(x0 + w, a - 6), y, 'text-anchor': right ? 'start' : 'end', 'dominant-baseline': 'central', fill: r.kind === 'failing' ? '#9b1c1c' : '#1d1d1f', 'font-weight': r.kind === 'failing' ? 700 : undefined, stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke' },
        what,
      ),
    );
    if (r.kind === 'step') {
      const x = Math.min(b - 2, Math.max(a + 2, sx(xs[stepRows.indexOf(r)])));
      dots.push([x, y]);
    }
  });
  if (dots.length > 1) parts.push(polyline(dots, { stroke: '#1f5fbf', 'stroke-width': 1.8, opacity: 0.8 }));
  for (const [x, y] of dots) parts.push(circle({ cx: x, cy: y, r: 4, fill: '#1f5fbf', stroke: '#ffffff', 'stroke-width': 1.2 }));
  // The axis in ms since the test started.
  const spanMs = (d1 - d0) / 1e6;
  const step = niceStep(spanMs / 8);
  for (let t = Math.ceil((d0 - axis.origin) / 1e6 / step) * step; t * 1e6 + axis.origin <= d1; t += step) {
    const x = sx(t * 1e6 + axis.origin);
    under.push(line({ x1: x, y1: TOP, x2: x, y2: bottom, stroke: '#e2e3e6' }));
    parts.push(text({ x, y: bottom + 14, 'text-anchor': 'middle', fill: '#515154', 'font-size': 10 }, String(Number(t.toFixed(3)))));
  }
  parts.push(line({ x1: x0, y1: bottom, x2: x1, y2: bottom, stroke: '#8e8e93' }));
  parts.push(text({ x: (x0 + x1) / 2, y: bottom + 29, 'text-anchor': 'middle', fill: '#515154', 'font-size': 10 }, 'time since the test started (ms)'));
  parts.push(...labels);
  const drawing = svg(WIDTH, height, [...under, ...parts], { role: 'img', 'aria-label': 'the linearized prefix on a time axis', class: 'linearized', 'font-family': 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif', 'font-size': 11 });
  const earlier = first > 0 ? ` The first ${first} steps are left out.` : '';
  return (
    `<p>The order the ${esc(model)} model accepts for the ${failure.prefix.ops ?? lin.length} ops before the failing one, last steps first to last, each with the state it leaves (blue dots: where each step takes effect, inside its op). ` +
    `The failing op cannot come next.${esc(earlier)}</p><div class="figure">${drawing}</div>`
  );
}

function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(rough));
  const m = rough / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
