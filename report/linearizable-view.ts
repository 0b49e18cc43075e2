// The HTML page for a linearizability result. For a failure it shows, in plain words and one
// picture, the op that cannot be linearized, the order found for the ops before it (and where
// that order stops), and the ops concurrent with it. Reads only the History and the Result, so it
// can be rendered later from a stored history and results.json.
import { canonicalJson } from '../base/json.js';
import { liftKeyedTuples } from '../checker/linearizable/check.js';
import { show } from '../checker/linearizable/values.js';
import type { Result } from '../checker/types.js';
import type { History } from '../histories/history.js';
import type { Process } from '../histories/op.js';
import { escapeHtml, page } from './html.js';
import { type BarOutcome, type PathPoint, processTimeline, type TimelineBar, timelineLegend } from './timeline.js';

/** An op as the failure evidence names it (see explainFailure in checker/linearizable/check.ts). */
interface OpRef {
  index: number;
  completionIndex: number | null;
  process: Process;
  f: string;
  value: unknown;
  result?: unknown;
  outcome?: string;
}

interface Failure {
  key?: unknown;
  op: OpRef & { completionIndex: number; type: 'ok' | 'fail'; line?: number };
  prefix: { ops: number; linearization: number[]; states: string[]; finalStates: string[] };
  concurrent: OpRef[];
  note?: string;
}

/** How many steps of the order the picture draws (the ones just before the failure). */
const PATH_STEPS = 20;
/** Steps listed in the order table beyond the drawn ones, folded away (HTML <details>, no script). */
const MORE_STEPS = 1000;
/** More lanes than this make the picture unreadable; lanes that matter least are left out. */
const MAX_LANES = 40;

const CSS = `
.explanation { font-size: 15px; border-left: 4px solid #d40000; padding: 4px 0 4px 12px; margin: 12px 0; }
.figure { border: 1px solid #e3e3e6; border-radius: 6px; padding: 8px; margin: 8px 0; overflow-x: auto; }
tr.failing td { background: #fde2e2; font-weight: 600; }
tr.needed td { background: #fff4d6; }
`;

/** The whole report page for `result` of checking `h` for linearizability. */
export function renderLinearizableView(h: History, result: Result): string {
  const model = typeof result.model === 'string' ? result.model : 'model';
  const file = h.file;
  if (result.valid === true) {
    const parts = typeof result.parts === 'number' ? result.parts : 1;
    return page({
      title: `${file}: linearizable`,
      body: header('valid', 'Linearizable', file, model) +
        `<p>Every part of the history (${parts}) has an order of its ops that respects real time — an op that completed before another was invoked comes first — and that the ${esc(model)} model accepts step by step. There is nothing to show.</p>`,
      css: CSS,
    });
  }
  const failure = asFailure(result.failure);
  if (result.valid !== false || !failure) {
    const why = result.explanation ?? 'the checker gave no reason';
    return page({
      title: `${file}: ${result.valid === false ? 'not linearizable' : 'unknown'}`,
      body: header(result.valid === false ? 'invalid' : 'unknown', result.valid === false ? 'Not linearizable' : 'Unknown', file, model) +
        `<p class="explanation">${esc(why)}</p>` +
        (result.valid === false ? '' : '<p>The checker gave up before deciding, so the history may or may not be linearizable. Give it more time (<code>--timeout</code>) or check a smaller history.</p>'),
      css: CSS,
    });
  }
  return page({ title: `${file}: not linearizable`, body: failureBody(h, result, failure, model), css: CSS });
}

function header(kind: 'valid' | 'invalid' | 'unknown', verdict: string, file: string, model: string): string {
  return `<h1><span class="verdict ${kind}">${esc(verdict)}</span> ${esc(file)}</h1><p class="muted">Checked for linearizability against the ${esc(model)} model.</p>`;
}

function failureBody(h: History, result: Result, failure: Failure, model: string): string {
  const part = failingPart(h, failure.key);
  const ctx = new Ctx(part);
  const fInv = part.positionOf(failure.op.index);
  const fComp = part.positionOf(failure.op.completionIndex);
  const keyText = failure.key === undefined ? '' : ` (key ${show(failure.key)})`;
  const out: string[] = [header('invalid', 'Not linearizable', h.file, model)];
  out.push(`<p class="explanation">${esc(result.explanation ?? 'No order of the ops explains this history.')}</p>`);
  if (fInv < 0 || fComp < 0) {
    out.push(`<p>The failing op (index ${failure.op.index}) is not in this history${esc(keyText)}, so there is no picture: was the result computed from another file?</p>`);
    return out.join('\n');
  }

  const linPos = failure.prefix.linearization.map((i) => part.positionOf(i)).filter((p) => p >= 0);
  // A failing op that failed can sit in the order (the order needs it); one that completed ok is,
  // by definition, where the order stops.
  const placedFailing = failure.op.type === 'fail' && linPos.includes(fInv);
  const fLine = part.lineOf(fComp);
  const fText = `op ${failure.op.index}${keyText}, process ${failure.op.process}'s ${ctx.opText(fInv)} (completed by op ${failure.op.completionIndex}${fLine === undefined ? '' : `, line ${fLine}`})`;
  out.push(`<p>${esc(summary(failure, fText, placedFailing, model))}</p>`);
  if (failure.note) out.push(`<p class="muted">Note: ${esc(failure.note)}.</p>`);

  out.push('<h2>Timeline around the failure</h2>');
  out.push(
    timelineLegend({
      highlight: failure.op.type === 'ok' ? `op ${failure.op.index}: the op that cannot be linearized` : `op ${failure.op.index}: failed, yet the ops before it need it`,
      path: 'the order found for the ops before it; each numbered dot is where that step takes effect',
      missing: placedFailing ? undefined : `where that order stops: op ${failure.op.index} cannot come next, nor anywhere else`,
    }),
  );
  out.push(figure(part, ctx, failure, fInv, fComp, linPos, placedFailing));

  out.push('<h2>The order found for the ops before it</h2>');
  out.push(orderTable(ctx, failure, fInv, linPos, placedFailing));
  out.push('<h2>Ops concurrent with it</h2>');
  out.push(concurrentTable(ctx, failure, linPos, fComp));
  const explored = typeof result.explored === 'number' ? ` · ${result.explored} configurations explored` : '';
  out.push(`<p class="muted">faultline · ${esc(model)}${explored} · ${part.ops.length} ops in this part of ${esc(h.file)}</p>`);
  return out.join('\n');
}

/** The picture in words, for readers who skip the drawing. */
function summary(failure: Failure, fText: string, placedFailing: boolean, model: string): string {
  const n = failure.prefix.ops;
  const steps = failure.prefix.linearization.length;
  const after = failure.prefix.finalStates.length ? `the ${model} is in state ${orList(failure.prefix.finalStates)}` : `the ${model} is in the state it reaches`;
  // Ops still in flight when the failing op completed may take effect later, so the order can leave them out.
  const left = n - steps;
  const skipped = left > 0 ? ` (it leaves out ${left} that ${left === 1 ? 'was' : 'were'} still in flight then, which may take effect later)` : '';
  if (failure.op.type === 'ok') {
    return `The failing op, ${fText}, is outlined in red. The ${n} ops invoked before it completed can be put in an order that respects real time, drawn as the blue line${skipped}; after it ${after}. ` +
      `From there the ${model} cannot take the failing op, and no other order of those ops lets it either, so the line stops at the red cross.`;
  }
  const through = placedFailing ? ': the blue line is such an order, and it passes through the failing op' : '';
  return `The failing op, ${fText}, is outlined in red: it failed, so it certainly did not take effect. But the ${n} ops invoked before its failure can be put in an order that respects real time only if it did${through}.`;
}

function figure(part: History, ctx: Ctx, failure: Failure, fInv: number, fComp: number, linPos: number[], placedFailing: boolean): string {
  const shown = linPos.slice(-PATH_STEPS);
  const firstStep = linPos.length - shown.length;
  // The window: from the earliest invocation among the failing op, the ops it completed
  // alongside and the last steps of the order, to the failing op's completion. Ops of unknown
  // outcome invoked long before are cut at the left edge instead of stretching the window.
  const concPos = failure.concurrent.map((c) => part.positionOf(c.index)).filter((p) => p >= 0);
  const closedConc = concPos.filter((p) => part.completion(p)?.type === 'ok' || part.completion(p)?.type === 'fail');
  const window = () => {
    const from = Math.min(...[fInv, ...shown, ...closedConc].map((p) => ctx.x(p)));
    const cut = ctx.x(fComp);
    let to = cut;
    // Let the concurrent ops' completions show, within reason.
    const reach = cut + Math.max(1, (cut - from) * 0.25);
    for (const p of closedConc) to = Math.max(to, Math.min(reach, ctx.endX(p)!));
    return { from, to, cut };
  };
  let { from, to, cut } = window();
  // Real time is the natural axis, but when ops are short next to the window (a long pause
  // between the steps drawn) every bar becomes a sliver; the order of events then reads better.
  if (ctx.axisTime && medianWidth(part, ctx, from, to) < (to - from) * 0.01) {
    ctx.axisTime = false;
    ({ from, to, cut } = window());
  }

  const bars: TimelineBar[] = [];
  for (let i = 0; i < part.ops.length; i++) {
    if (part.ops[i].type !== 'invoke') continue;
    const start = ctx.x(i);
    const end = ctx.endX(i);
    // Ops invoked after the failing op completed play no part in the failure.
    if (start > cut || (end !== null && end < from)) continue;
    bars.push({
      id: part.ops[i].index,
      lane: laneName(part.ops[i].process),
      start,
      end,
      outcome: ctx.outcome(i),
      label: `#${part.ops[i].index} ${ctx.opText(i, true)}`,
      tooltip: ctx.tooltip(i),
      highlight: i === fInv,
    });
  }

  const xs = pathXs(linPos.map((p) => ({ start: ctx.x(p), end: ctx.endX(p) ?? Infinity })), cut, (to - from) / 400);
  const points: PathPoint[] = shown.map((p, k) => ({
    id: part.ops[p].index,
    x: xs[firstStep + k],
    label: String(firstStep + k + 1),
    tooltip: `step ${firstStep + k + 1}: ${ctx.tooltip(p)}`,
  }));
  const { lanes, dropped } = chooseLanes(bars, new Set(shown.map((p) => part.ops[p].index)), failure.op.index);
  const svg = processTimeline({
    bars: bars.filter((b) => lanes.includes(b.lane)),
    axis: ctx.axisTime ? 'time' : 'position',
    axisLabel: ctx.axisTime ? undefined : 'order of events in the history (ticks: the op index there)',
    tickLabel: ctx.axisTime ? undefined : (v) => ctx.indexAt(v),
    from,
    to,
    lanes,
    path: { points, missing: placedFailing ? undefined : { id: failure.op.index, text: `op ${failure.op.index} (${clip(ctx.opText(fInv, true), 32)}) cannot be placed` } },
    ariaLabel: `timeline of the ops around op ${failure.op.index}`,
    idPrefix: 'lin',
  });
  const notes: string[] = [];
  if (firstStep > 0) notes.push(`The line draws the last ${shown.length} of the ${linPos.length} steps of the order.`);
  if (dropped > 0) notes.push(`${dropped} more processes have ops in this window but are not drawn: none holds the failing op or a step of the order.`);
  if (!ctx.timed) notes.push('The history has no usable times, so ops are placed by their position in it.');
  else if (!ctx.axisTime) notes.push('Ops are placed by their position in the history, not by time: at the time scale most would be too thin to see (times are in the tooltips and tables).');
  notes.push('Hover over a bar or a dot for the op in full.');
  return `<div class="figure">${svg}</div><p class="muted">${esc(notes.join(' '))}</p>`;
}

/** The median drawn length of the completed ops overlapping [from, to], in axis units. */
function medianWidth(part: History, ctx: Ctx, from: number, to: number): number {
  const widths: number[] = [];
  for (let i = 0; i < part.ops.length; i++) {
    const end = part.ops[i].type === 'invoke' ? ctx.endX(i) : null;
    if (end === null) continue;
    const start = ctx.x(i);
    if (start <= to && end >= from) widths.push(Math.min(end, to) - Math.max(start, from));
  }
  widths.sort((a, b) => a - b);
  return widths.length ? widths[widths.length >> 1] : Infinity;
}

/**
 * X places for the order's steps: each inside its op's interval, increasing, so the line reads
 * left to right. The midpoint between the earliest and latest place each step can take spreads
 * them out; `cap` (the failing op's completion) bounds ops still open there.
 */
export function pathXs(intervals: { start: number; end: number }[], cap: number, eps: number): number[] {
  const attempt = (gap: number): number[] | undefined => {
    const n = intervals.length;
    const lo: number[] = new Array(n);
    const hi: number[] = new Array(n);
    for (let j = 0; j < n; j++) lo[j] = Math.max(intervals[j].start, j > 0 ? lo[j - 1] + gap : -Infinity);
    for (let j = n - 1; j >= 0; j--) hi[j] = Math.min(intervals[j].end, cap, j < n - 1 ? hi[j + 1] - gap : Infinity);
    for (let j = 0; j < n; j++) if (lo[j] > hi[j]) return undefined;
    return lo.map((l, j) => (l + hi[j]) / 2);
  };
  // Times recorded out of order can make a strictly increasing choice impossible; then each
  // point just sits inside its own op.
  return attempt(eps) ?? attempt(0) ?? intervals.map((i) => (i.start + Math.min(i.end, Math.max(cap, i.start))) / 2);
}

/** Lanes for the picture: all of them, or past MAX_LANES the ones that matter most. */
function chooseLanes(bars: TimelineBar[], onPath: Set<number | string>, failing: number): { lanes: string[]; dropped: number } {
  const rank = new Map<string, number>();
  for (const b of bars) {
    const r = b.id === failing ? 0 : onPath.has(b.id) ? 1 : b.outcome !== 'unknown' ? 2 : 3;
    rank.set(b.lane, Math.min(rank.get(b.lane) ?? 9, r));
  }
  const all = [...rank.keys()];
  const kept = all.length <= MAX_LANES ? all : all.sort((a, b) => rank.get(a)! - rank.get(b)!).slice(0, MAX_LANES);
  kept.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { lanes: kept, dropped: all.length - kept.length };
}

function orderTable(ctx: Ctx, failure: Failure, fInv: number, linPos: number[], placedFailing: boolean): string {
  const states = failure.prefix.states;
  const row = (k: number) => {
    const p = linPos[k];
    const cls = p === fInv ? ' class="needed"' : '';
    return `<tr${cls}><td class="num">${k + 1}</td>${ctx.opCells(p)}<td>${esc(states[k] ?? '')}</td></tr>`;
  };
  // The steps drawn in the picture are listed; earlier ones are folded away below the table.
  const first = Math.max(0, linPos.length - PATH_STEPS);
  const rows: string[] = [];
  if (first > 0) rows.push(`<tr><td colspan="6" class="muted">… ${first} earlier step${first === 1 ? '' : 's'}, listed below the table</td></tr>`);
  for (let k = first; k < linPos.length; k++) rows.push(row(k));
  if (!placedFailing) {
    const from = failure.prefix.finalStates.length ? `in state ${orList(failure.prefix.finalStates)}` : 'in the state above';
    rows.push(`<tr class="failing"><td class="num">✗</td>${ctx.opCells(fInv)}<td>cannot be taken ${esc(from)}</td></tr>`);
  }
  if (linPos.length === 0 && placedFailing === false) {
    rows.unshift('<tr><td colspan="6" class="muted">No op before it needs to come first.</td></tr>');
  }
  const head = `<thead><tr><th class="num">step</th><th class="num">op</th><th>process</th><th>operation</th><th>${ctx.intervalHead()}</th><th>state after it</th></tr></thead>`;
  let earlier = '';
  if (first > 0) {
    const from = Math.max(0, first - MORE_STEPS);
    const more: string[] = [];
    if (from > 0) more.push(`<tr><td colspan="6" class="muted">… steps 1–${from} not listed</td></tr>`);
    for (let k = from; k < first; k++) more.push(row(k));
    earlier = `<details><summary>Steps ${from + 1}–${first}</summary><table>${head}<tbody>${more.join('')}</tbody></table></details>`;
  }
  return `<table>${head}<tbody>${rows.join('')}</tbody></table>${earlier}`;
}

function concurrentTable(ctx: Ctx, failure: Failure, linPos: number[], fComp: number): string {
  if (failure.concurrent.length === 0) return '<p>None: every other op completed before it was invoked, or was invoked after it completed.</p>';
  const stepOf = new Map(linPos.map((p, k) => [p, k + 1]));
  const rows = failure.concurrent.map((c) => {
    const p = ctx.h.positionOf(c.index);
    if (p < 0) return `<tr><td class="num">${c.index}</td><td>${esc(String(c.process))}</td><td>${esc(`${c.f} ${show(c.value)}`)}</td><td></td><td></td><td></td></tr>`;
    const step = stepOf.get(p);
    // An op left out of the order either failed or was still in flight when the failing op
    // completed (so it may take effect later); say which.
    const end = ctx.h.pair[p];
    const why = ctx.outcome(p) === 'fail' ? ' (it failed)' : end < 0 || end > fComp || ctx.h.ops[end].type === 'info' ? ' (still in flight then)' : '';
    return `<tr>${ctx.opCells(p)}<td>${esc(outcomeWords(ctx.outcome(p)))}</td><td>${step === undefined ? `no${why}` : `step ${step}`}</td></tr>`;
  });
  return `<table><thead><tr><th class="num">op</th><th>process</th><th>operation</th><th>${ctx.intervalHead()}</th><th>outcome</th><th>in the order</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function outcomeWords(o: BarOutcome): string {
  return o === 'ok' ? 'ok' : o === 'fail' ? 'failed' : 'unknown';
}

/** Per-op facts of the failing part: x places, outcomes and texts. */
class Ctx {
  /** The ops have usable times (shown in texts). */
  readonly timed: boolean;
  /** The picture's x axis is time (else history position). */
  axisTime: boolean;
  constructor(readonly h: History) {
    this.timed = usableTimes(h);
    this.axisTime = this.timed;
  }

  /** The op's x: its time (ns) on a time axis, else its position. */
  x(pos: number): number {
    return this.axisTime ? (this.h.ops[pos].time as number) : pos;
  }

  /** Where the invocation at `pos` ends, or null when its outcome is unknown (info or none). */
  endX(pos: number): number | null {
    const c = this.h.pair[pos];
    if (c < 0 || this.h.ops[c].type === 'info') return null;
    return this.x(c);
  }

  outcome(pos: number): BarOutcome {
    const t = this.h.completion(pos)?.type;
    return t === 'ok' ? 'ok' : t === 'fail' ? 'fail' : 'unknown';
  }

  /** "write 2", "read → 3", "cas [1,2] → false"; `short` leaves out what the bar's look says. */
  opText(pos: number, short = false): string {
    const inv = this.h.ops[pos];
    const done = this.h.completion(pos);
    const arg = inv.value === null || inv.value === undefined ? '' : ` ${show(inv.value)}`;
    const base = `${inv.f}${arg}`;
    if (!done) return short ? base : `${base} (no response)`;
    if (done.type === 'info') return short ? base : `${base} (info: outcome unknown)`;
    if (done.type === 'fail') return short ? base : `${base} (failed)`;
    if (done.result === false) return `${base} → false`;
    // A read's value, null included (a read of nothing is often what cannot be linearized).
    if (done.value !== undefined && (inv.value === null || inv.value === undefined || show(done.value) !== show(inv.value))) return `${base} → ${show(done.value)}`;
    return base;
  }

  // Without times, texts place ops by their indices (what a reader finds in the file), never by
  // positions inside this part, which differ from indices once other keys or the nemesis are out.
  private ms(pos: number): string {
    return ((this.h.ops[pos].time as number) / 1e6).toFixed(3);
  }

  /** The op's interval for a table cell, in the unit intervalHead() names. */
  interval(pos: number): string {
    const at = (p: number) => (this.timed ? this.ms(p) : String(this.h.ops[p].index));
    const c = this.h.pair[pos];
    const end = c < 0 ? 'no response' : this.h.ops[c].type === 'info' ? `info at ${at(c)}` : at(c);
    return `${at(pos)} – ${end}`;
  }

  intervalHead(): string {
    return this.timed ? 'interval (ms)' : 'invoked – completed (op index)';
  }

  tooltip(pos: number): string {
    const inv = this.h.ops[pos];
    const c = this.h.pair[pos];
    const line = this.h.lineOf(pos);
    const at = (p: number) => (this.timed ? ` at ${this.ms(p)} ms` : '');
    const done = c < 0 ? 'never completed' : `${this.h.ops[c].type} (op ${this.h.ops[c].index})${at(c)}`;
    return `op ${inv.index}${line === undefined ? '' : ` (line ${line})`} · process ${inv.process} · ${this.opText(pos)} · invoked${at(pos)}, ${done}`;
  }

  /** Axis tick text on a position axis: the index of the op at that position. */
  indexAt(pos: number): string {
    const p = Math.round(pos);
    return p >= 0 && p < this.h.ops.length && Math.abs(p - pos) < 1e-6 ? String(this.h.ops[p].index) : '';
  }

  /** op, process, operation and interval cells of a table row. */
  opCells(pos: number): string {
    const inv = this.h.ops[pos];
    return `<td class="num">${inv.index}</td><td>${esc(String(inv.process))}</td><td class="mono">${esc(this.opText(pos))}</td><td>${esc(this.interval(pos))}</td>`;
  }
}

/** Times are usable when every op has one, each completion is no earlier than its invocation, and they are not all equal. */
function usableTimes(h: History): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < h.ops.length; i++) {
    const t = h.ops[i].time;
    if (typeof t !== 'number' || !Number.isFinite(t)) return false;
    min = Math.min(min, t);
    max = Math.max(max, t);
    const c = h.pair[i];
    if (h.ops[i].type === 'invoke' && c >= 0 && (h.ops[c].time as number) < t) return false;
  }
  return max > min;
}

/**
 * The part of `h` the failure is about: its key's ops for keyed histories (matched by value, so a
 * result read back from JSON still finds its key), else the client ops.
 */
function failingPart(h: History, key: unknown): History {
  const clients = h.clientOps();
  if (key === undefined) return clients;
  const want = canonicalJson(key);
  const find = (x: History) => [...x.byKey()].find(([k]) => canonicalJson(k) === want)?.[1];
  const direct = find(clients);
  if (direct) return direct;
  // The checker may have lifted [key, value] tuples into keys (--keyed-tuples): do the same.
  try {
    return find(liftKeyedTuples(clients)) ?? clients;
  } catch {
    return clients;
  }
}

function laneName(p: Process): string {
  return p === 'nemesis' ? 'nemesis' : `process ${p}`;
}

function asFailure(x: unknown): Failure | undefined {
  const f = x as Partial<Failure> | undefined;
  if (!f || typeof f !== 'object' || !f.op || !f.prefix || !Array.isArray(f.prefix.linearization)) return undefined;
  const p = f.prefix as Partial<Failure['prefix']>;
  const prefix = { ops: p.ops ?? 0, linearization: p.linearization ?? [], states: p.states ?? [], finalStates: p.finalStates ?? [] };
  return { ...f, prefix, concurrent: Array.isArray(f.concurrent) ? f.concurrent : [] } as Failure;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function orList(xs: string[]): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

function esc(s: string): string {
  return escapeHtml(s);
}

