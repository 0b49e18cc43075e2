// The HTML page for a transactional (Elle-class) result: the verdict, the models it rules out,
// and for each anomaly found its examples — a cycle as a drawing of its transactions joined by
// their dependency edges plus the edges' reasons, step by step; any other anomaly as its sentence
// and the transactions involved. Reads only the History and the Result, so it can be rendered
// later from a stored history and results.json. Every string from the history is escaped.
import { canonicalJson } from '../base/json.js';
import { showKey, showValue } from '../checker/txn/anomalies.js';
import type { CycleStep } from '../checker/txn/explain.js';
import type { Workload } from '../checker/txn/txns.js';
import type { Result } from '../checker/types.js';
import type { History } from '../histories/history.js';
import { escapeHtml, page } from './html.js';
import { type Attrs, el, group, line, num, rect, svg, text, title } from './svg.js';

// ---------------------------------------------------------------------------------------------
// The result's shapes, as read defensively (a result may come back from JSON).

interface TxnRef {
  name?: string;
  index?: number;
  process?: unknown;
  type?: string;
  value?: unknown;
}

type Step = CycleStep;

interface AnomalyEx {
  type: string;
  sentence: string;
  ops: number[];
  cycle?: TxnRef[];
  steps?: Step[];
  [detail: string]: unknown;
}

interface CycleSearch {
  timedOut?: boolean;
  undetermined?: { name?: string; size?: number; reason?: string }[];
  components?: { size?: number; txns?: number[] }[];
}

// ---------------------------------------------------------------------------------------------
// Words.

type EdgeType = 'ww' | 'wr' | 'rw' | 'process' | 'realtime';
const EDGE_TYPES: readonly EdgeType[] = ['ww', 'wr', 'rw', 'process', 'realtime'];

/** Colour, dash and meaning of each edge type: one look everywhere on the page. */
const EDGE_STYLE: Record<EdgeType, { color: string; dash?: string; meaning: string }> = {
  ww: { color: '#1f5fbf', meaning: 'write → write: the second transaction overwrote (or appended after) what the first wrote' },
  wr: { color: '#2e7d32', meaning: 'write → read: the second transaction read what the first wrote' },
  rw: { color: '#c62828', dash: '7 4', meaning: 'read → write (anti-dependency): the first read a version that the second then overwrote' },
  process: { color: '#7b3fb0', meaning: 'process order: both ran on one process, the first before the second' },
  realtime: { color: '#b86e00', meaning: 'real time: the first completed before the second was invoked' },
};
const OTHER_EDGE = { color: '#555555', meaning: '' };

function edgeStyle(type: string): { color: string; dash?: string; meaning: string } {
  return (EDGE_STYLE as Record<string, { color: string; dash?: string; meaning: string }>)[type] ?? OTHER_EDGE;
}

const BASE_MEANING: Record<string, string> = {
  G0: 'write cycle: transactions overwrote each other’s writes in a cycle (ww edges only)',
  G1a: 'aborted read: a transaction read a value written by a transaction that failed',
  G1b: 'intermediate read: a transaction read a value its writer overwrote later in the same transaction',
  G1c: 'circular information flow: a cycle of ww and wr edges, at least one wr',
  'G-single': 'read skew: a cycle with exactly one rw (anti-dependency) edge',
  'G-nonadjacent': 'a cycle with two or more rw edges, no two of them in a row',
  'G2-item': 'write skew and kin: a cycle with two or more rw edges',
  internal: 'a read disagrees with the transaction’s own earlier reads or writes of that key',
  'garbage-read': 'a read returned a value no transaction wrote',
  'lost-update': 'two transactions read the same version of a key and both wrote it',
  'incompatible-order': 'two reads of a list disagree on the order of its elements',
  'duplicate-elements': 'a read of a list holds the same element twice',
  'future-read': 'a transaction read a value it writes only later',
  'dirty-update': 'a write landed on top of a value written by a transaction that failed',
  'cyclic-versions': 'a key’s versions must each come before another, so no version order exists',
};

/** One line on what an anomaly type means (empty for names we do not know). */
export function anomalyMeaning(type: string): string {
  // G-single-item-process → G-single, and -process.
  const m = /^(.*?)(-process|-realtime)?$/.exec(type)!;
  const base = m[1];
  const words = own(BASE_MEANING, base) ? BASE_MEANING[base] : own(BASE_MEANING, base.replace(/-item$/, '')) ? BASE_MEANING[base.replace(/-item$/, '')] : undefined;
  if (!words) return '';
  const suffix = m[2] === '-process' ? '; closing it needs a process-order edge' : m[2] === '-realtime' ? '; closing it needs a real-time edge' : '';
  return words + suffix;
}

// ---------------------------------------------------------------------------------------------
// The page.

const CSS = `
.explanation { font-size: 15px; border-left: 4px solid #d40000; padding: 4px 0 4px 12px; margin: 12px 0; overflow-wrap: anywhere; }
.explanation.unknown { border-left-color: #c08400; }
.figure { border: 1px solid #e3e3e6; border-radius: 6px; padding: 8px; margin: 8px 0; overflow-x: auto; }
.ruled { margin: 10px 0; }
.ruled dt { font-weight: 600; margin-top: 6px; }
.ruled dd { margin: 2px 0 0 0; }
.model { display: inline-block; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  background: #f2f2f5; border: 1px solid #dcdce0; border-radius: 3px; padding: 0 5px; margin: 1px 2px; }
.model.not { background: #fde2e2; border-color: #f0b4b4; color: #7d1616; }
.stats { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 8px 0; }
.edge { display: inline-block; font-weight: 700; font-size: 12px; padding: 0 6px; border-radius: 3px; border: 1.5px solid; background: #fff; }
${EDGE_TYPES.map((t) => `.edge.e-${t} { color: ${EDGE_STYLE[t].color}; border-color: ${EDGE_STYLE[t].color}; ${EDGE_STYLE[t].dash ? 'border-style: dashed;' : ''} }`).join('\n')}
.tag { display: inline-block; white-space: nowrap; font-size: 12px; font-weight: 600; padding: 0 8px; border-radius: 10px; vertical-align: middle; }
.tag.prohibited { background: #fde2e2; color: #9b1c1c; }
.tag.allowed { background: #e8eef8; color: #2a4a7f; }
.anomaly { border-top: 1px solid #e3e3e6; margin-top: 28px; }
.example { margin: 14px 0 20px; }
.example h3 { font-size: 15px; margin: 12px 0 6px; }
ol.steps { padding-left: 24px; }
ol.steps li { margin: 4px 0; overflow-wrap: anywhere; }
.sentence { overflow-wrap: anywhere; }
td.mops { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
`;

/** The whole report page for `r`, the result of checking `h` as a `workload` history. */
export function renderTxnView(h: History, r: Result, workload: Workload): string {
  const file = h.file;
  const models = strings(r.models);
  const modelText = models.length ? listWords(models) : 'the default model';
  const kind: 'valid' | 'invalid' | 'unknown' = r.valid === true ? 'valid' : r.valid === false ? 'invalid' : 'unknown';
  const anomalies = anomalyMap(r.anomalies);
  const counts = numberMap(r.anomalyCounts);
  const bad = strings(r.anomalyTypes);
  const allowed = strings(r.allowedAnomalyTypes);
  const shown = new Set([...bad, ...allowed]);
  // Types the result holds but names in neither list (an older or hand-edited result): still shown.
  const others = [...new Set([...Object.keys(anomalies), ...Object.keys(counts)])].filter((t) => !shown.has(t)).sort();

  const out: string[] = [];
  const verdictWord = kind === 'valid' ? 'valid' : kind === 'invalid' ? 'INVALID' : 'unknown';
  out.push(`<h1><span class="verdict ${kind}">${verdictWord}</span> ${esc(file)}</h1>`);
  out.push(`<p class="muted">Checked as a ${esc(workload)} history against ${esc(modelText)}.</p>`);
  out.push(`<p>${verdictSentence(kind, modelText, bad)}</p>`);
  if (kind !== 'valid' && typeof r.explanation === 'string' && r.explanation !== '') {
    out.push(`<p class="explanation${kind === 'unknown' ? ' unknown' : ''}">${esc(sentence(r.explanation))}</p>`);
  }
  out.push(ruledOut(r, bad.length + allowed.length + others.length > 0));
  out.push(stats(r));

  if (kind === 'unknown') out.push(cycleSearchSection(r.cycleSearch as CycleSearch | undefined));

  const sections: { type: string; status: 'prohibited' | 'allowed' | 'other' }[] = [
    ...bad.map((type) => ({ type, status: 'prohibited' as const })),
    ...allowed.map((type) => ({ type, status: 'allowed' as const })),
    ...others.map((type) => ({ type, status: 'other' as const })),
  ];
  if (sections.length > 0) {
    out.push('<h2>Anomalies found</h2>');
    out.push(summaryTable(sections, anomalies, counts, modelText));
    if (sections.some((s) => (anomalies[s.type] ?? []).some((a) => isCycle(a)))) {
      out.push('<p>Each drawn cycle is a proof: every arrow says its transaction must come before the next one in any order of execution the checked models allow, and following the arrows leads back to the start, so no such order exists.</p>');
      out.push(edgeLegend());
    }
    let fig = 0;
    for (const s of sections) {
      out.push(anomalySection(h, s.type, s.status, anomalies[s.type] ?? [], counts[s.type], modelText, () => ++fig));
    }
  } else if (kind === 'valid') {
    out.push(`<p>Nothing to show. Cycles that ${esc(modelText)} ${modelText.includes(' and ') ? 'allow' : 'allows'} are not searched for, so their absence here says nothing about stronger models.</p>`);
  }

  const txns = record(r.txns);
  const count = typeof txns.count === 'number' ? ` · ${txns.count} transactions` : '';
  out.push(`<p class="muted">faultline · ${esc(workload)} · ${esc(modelText)}${count} in ${esc(file)}</p>`);

  const titleWord = kind === 'valid' ? 'valid' : kind === 'invalid' ? `not ${modelText}` : 'unknown';
  return page({ title: `${file}: ${titleWord}`, body: out.join('\n'), css: CSS });
}

function verdictSentence(kind: 'valid' | 'invalid' | 'unknown', modelText: string, bad: string[]): string {
  if (kind === 'invalid') {
    const types = bad.length ? listWords(bad.map((t) => `<b>${esc(t)}</b>`)) : 'anomalies';
    return `The history is not ${esc(modelText)}: it holds ${types}, which ${esc(modelText)} ${modelText.includes(' and ') ? 'prohibit' : 'prohibits'}.`;
  }
  if (kind === 'valid') return `The history is consistent with ${esc(modelText)}: no anomaly the checked ${modelText.includes(' and ') ? 'models prohibit' : 'model prohibits'} was found.`;
  return 'The checker could not decide: no prohibited anomaly was found, but part of the dependency graph was not fully searched, so one may still hide there.';
}

/** What the anomalies rule out: the weakest models first, then the stronger ones they drag along. */
function ruledOut(r: Result, anyFound: boolean): string {
  const not = strings(r.not);
  const alsoNot = strings(r.alsoNot);
  if (not.length === 0 && alsoNot.length === 0) {
    return anyFound ? '<p class="muted">The anomalies found rule out no consistency model faultline knows.</p>' : '';
  }
  const chips = (ms: string[]) => ms.map((m) => `<span class="model not">${esc(m)}</span>`).join(' ');
  const parts = ['<dl class="ruled">'];
  parts.push(`<dt>Not: ${chips(not)}</dt>`);
  parts.push(`<dd class="muted">The weakest consistency models the anomalies found violate: the history satisfies none of them${not.length > 1 ? ' (none of these implies another)' : ''}.</dd>`);
  if (alsoNot.length > 0) {
    parts.push(`<dt>Also not: ${chips(alsoNot)}</dt>`);
    parts.push('<dd class="muted">Stronger models: each implies one of the models above, so it is ruled out with it.</dd>');
  }
  parts.push('</dl>');
  return parts.join('');
}

function stats(r: Result): string {
  const t = record(r.txns);
  const e = record(r.edges);
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? String(x) : '0');
  const items: string[] = [];
  if (typeof t.count === 'number') {
    items.push(`<span><b>${n(t.count)}</b> transactions: ${n(t.ok)} ok · ${n(t.info)} info (outcome unknown) · ${n(t.fail)} failed</span>`);
  }
  const edges = EDGE_TYPES.filter((k) => typeof e[k] === 'number');
  if (edges.length > 0) {
    items.push(`<span>dependency edges: ${edges.map((k) => `<span class="edge e-${k}">${k}</span> ${n(e[k])}`).join(' &nbsp;')}</span>`);
  }
  return items.length ? `<div class="stats">${items.join('')}</div>` : '';
}

function summaryTable(
  sections: { type: string; status: 'prohibited' | 'allowed' | 'other' }[],
  anomalies: Record<string, AnomalyEx[]>,
  counts: Record<string, number>,
  modelText: string,
): string {
  const rows = sections.map(({ type, status }) => {
    const kept = (anomalies[type] ?? []).length;
    const count = counts[type] ?? kept;
    return `<tr><td><a href="#${anchor(type)}"><b>${esc(type)}</b></a></td><td class="num">${count}</td><td class="num">${kept}</td><td>${statusTag(status, modelText)}</td><td>${esc(anomalyMeaning(type))}</td></tr>`;
  });
  return `<table><thead><tr><th>anomaly</th><th class="num">found</th><th class="num">shown</th><th>status</th><th>meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function statusTag(status: 'prohibited' | 'allowed' | 'other', modelText: string): string {
  if (status === 'prohibited') return `<span class="tag prohibited">prohibited by ${esc(modelText)}</span>`;
  if (status === 'allowed') return `<span class="tag allowed">allowed by ${esc(modelText)}</span>`;
  return '<span class="tag allowed">not classified</span>';
}

function anomalySection(
  h: History,
  type: string,
  status: 'prohibited' | 'allowed' | 'other',
  examples: AnomalyEx[],
  count: number | undefined,
  modelText: string,
  nextFigure: () => number,
): string {
  const total = count ?? examples.length;
  const out: string[] = [`<section class="anomaly" id="${anchor(type)}">`];
  out.push(`<h2>${esc(type)} <span class="muted">· ${total} found</span> ${statusTag(status, modelText)}</h2>`);
  const meaning = anomalyMeaning(type);
  if (meaning) out.push(`<p class="muted">${esc(capitalize(meaning))}.</p>`);
  if (status === 'allowed') out.push(`<p class="muted">${esc(modelText)} ${modelText.includes(' and ') ? 'allow' : 'allows'} this anomaly, so it does not make the history invalid; it is shown because it rules out stronger models.</p>`);
  if (examples.length === 0) out.push('<p class="muted">No example was kept: the checker only counted these.</p>');
  else if (total > examples.length) out.push(`<p class="muted">Showing ${examples.length} of ${total}; the rest were counted but not kept.</p>`);
  examples.forEach((a, i) => {
    const head = examples.length > 1 || total > 1 ? `<h3>Example ${i + 1}</h3>` : '';
    out.push(`<div class="example">${head}${isCycle(a) ? cycleExample(h, a, nextFigure()) : plainExample(h, a)}</div>`);
  });
  out.push('</section>');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Cycles.

function isCycle(a: AnomalyEx): a is AnomalyEx & { cycle: TxnRef[]; steps: Step[] } {
  return Array.isArray(a.cycle) && a.cycle.length > 0 && Array.isArray(a.steps) && a.steps.length > 0;
}

function cycleExample(h: History, a: AnomalyEx & { cycle: TxnRef[]; steps: Step[] }, fig: number): string {
  const out: string[] = [];
  out.push(`<div class="figure">${cycleSvg(h, a.cycle, a.steps, fig)}</div>`);
  const items = a.steps.map((s) => {
    const key = s.key === undefined ? '' : ` <span class="muted">(key <code>${esc(showKey(s.key))}</code>)</span>`;
    return `<li><span class="edge e-${esc(cssName(s.type))}">${esc(String(s.type))}</span> <b>${esc(String(s.from))} → ${esc(String(s.to))}</b>${key}: ${esc(String(s.why))}</li>`;
  });
  const first = a.cycle[0]?.name ?? 'T1';
  out.push(`<ol class="steps">${items.join('')}</ol>`);
  out.push(`<p class="muted">The last step leads back to ${esc(String(first))}, closing the cycle: no order of these ${a.cycle.length} transactions puts each one before the next.</p>`);
  return out.join('\n');
}

// Layout of the cycle drawing, in pixels.
const MONO_W = 7.3; // width of a 12px monospace character
const SANS_W = 6.6; // average width of an 11px sans-serif character
const NAME_W = 9.5; // average width of a 15px bold sans-serif character
const PAD = 10;
const HEAD_H = 24;
const MOP_H = 17;
const MAX_MOPS = 10;
const MAX_MOP_CHARS = 42;
const MIN_BOX_W = 150;
const LABEL_GAP = 40; // room beside an edge label
const MARGIN = 14;
const LABEL_CHAR_W = 7.6; // width of a 12.5px bold sans-serif character, for edge labels

interface Box {
  ref: TxnRef;
  name: string;
  sub: string;
  lines: { text: string; strong: boolean }[];
  tooltip: string;
  w: number;
  h: number;
  cx: number;
  cy: number;
}

/** The transactions as boxes, around a circle (four or more) or in a row with a back arc. */
function cycleSvg(h: History, cycle: TxnRef[], steps: Step[], fig: number): string {
  // Keys of the edges touching each transaction, so the micro-ops behind them stand out.
  const keysOf = new Map<string, Set<string>>();
  for (const s of steps) {
    if (s.key === undefined) continue;
    for (const n of [s.from, s.to]) {
      const set = keysOf.get(n) ?? new Set<string>();
      set.add(canonicalJson(s.key));
      keysOf.set(n, set);
    }
  }
  const boxes = cycle.map((ref, i) => makeBox(h, ref, i, keysOf.get(String(ref.name ?? `T${i + 1}`)) ?? new Set()));
  const n = boxes.length;
  const labels = steps.map((s) => edgeLabel(s));
  const labelW = Math.max(40, ...labels.map((l) => l.length * LABEL_CHAR_W));

  // Edge i goes from box i to box (i + 1) % n; steps name their ends, but the cycle is in order.
  const edges: { from: number; to: number; step: Step; label: string }[] = steps.slice(0, n).map((step, i) => ({ from: i, to: (i + 1) % n, step, label: labels[i] }));

  const parts: string[] = [];
  const bounds = new Bounds();
  if (n <= 3) {
    const gap = labelW + LABEL_GAP;
    const maxH = Math.max(...boxes.map((b) => b.h));
    let x = 0;
    for (const b of boxes) {
      b.cx = x + b.w / 2;
      b.cy = maxH / 2;
      x += b.w + gap;
    }
    for (const e of edges) {
      const a = boxes[e.from];
      const b = boxes[e.to];
      if (e.to === e.from + 1) {
        // Forward: straight, along the middle, label above the line.
        const y = a.cy;
        parts.push(edgeShape(e.step, a.cx + a.w / 2, y, b.cx - b.w / 2, y, null, e.label, (a.cx + a.w / 2 + b.cx - b.w / 2) / 2, y - 9, bounds));
      } else {
        // Back to the start: an arc below the row.
        const x1 = a.cx + (n === 1 ? a.w / 4 : 0);
        const x2 = b.cx - (n === 1 ? b.w / 4 : 0);
        const y1 = a.cy + a.h / 2;
        const y2 = b.cy + b.h / 2;
        const depth = maxH + 64;
        const c = { x1, y1: depth, x2, y2: depth };
        const [mx, my] = bezier(0.5, x1, y1, c, x2, y2);
        parts.push(edgeShape(e.step, x1, y1, x2, y2, c, e.label, mx, my + 18, bounds));
      }
    }
  } else {
    // An ellipse stretched to the boxes' shape: adjacent boxes never overlap and leave room for a label.
    const maxW = Math.max(...boxes.map((b) => b.w));
    const maxH = Math.max(...boxes.map((b) => b.h));
    const s = 2 * Math.sin(Math.PI / n);
    const rx = (Math.SQRT2 * (maxW + labelW * 0.6 + LABEL_GAP)) / s;
    const ry = (Math.SQRT2 * (maxH + 56)) / s;
    boxes.forEach((b, i) => {
      const t = -Math.PI / 2 + (2 * Math.PI * i) / n;
      b.cx = rx * Math.cos(t);
      b.cy = ry * Math.sin(t);
    });
    for (const e of edges) {
      const a = boxes[e.from];
      const b = boxes[e.to];
      const p = clipToBox(a, b.cx, b.cy, 3);
      const q = clipToBox(b, a.cx, a.cy, 3);
      parts.push(edgeShape(e.step, p.x, p.y, q.x, q.y, null, e.label, (p.x + q.x) / 2, (p.y + q.y) / 2 + 4, bounds));
    }
  }
  const boxParts = boxes.map((b) => boxShape(b, bounds));
  // Boxes are drawn first and edges over them: edges end on the boxes' borders, and their labels
  // must never be hidden.
  const width = bounds.maxX - bounds.minX + 2 * MARGIN;
  const height = bounds.maxY - bounds.minY + 2 * MARGIN;
  const dx = MARGIN - bounds.minX;
  const dy = MARGIN - bounds.minY;
  return svg(width, height, group({ transform: `translate(${num(dx)} ${num(dy)})` }, [...boxParts, ...parts]), {
    role: 'img',
    'aria-label': `cycle ${fig}: ${cycle.map((c, i) => c.name ?? `T${i + 1}`).join(' → ')} → ${cycle[0]?.name ?? 'T1'}`,
    class: 'cycle',
    'font-family': 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
    'font-size': 11,
  });
}

function edgeLabel(s: Step): string {
  const key = s.key === undefined ? '' : ` · ${clip(showKey(s.key), 14)}`;
  return `${s.type}${key}`;
}

function makeBox(h: History, ref: TxnRef, i: number, keys: Set<string>): Box {
  const name = String(ref.name ?? `T${i + 1}`);
  const index = typeof ref.index === 'number' ? ref.index : undefined;
  const outcome = typeof ref.type === 'string' ? ref.type : undefined;
  const sub = [index === undefined ? '' : `index ${index}`, ref.process === undefined ? '' : `process ${String(ref.process)}`, outcome && outcome !== 'ok' ? outcomeWords(outcome) : '']
    .filter((s) => s !== '')
    .join(' · ');
  const mops = Array.isArray(ref.value) ? ref.value : [];
  const all = mops.map((m) => ({ text: mopText(m), strong: isMop(m) && keys.has(canonicalJson(m[1])) }));
  let lines = all;
  if (all.length > MAX_MOPS) {
    // Keep the micro-ops behind the edges, then the first others, in their order.
    const keep = new Set<number>();
    all.forEach((l, k) => l.strong && keep.size < MAX_MOPS - 1 && keep.add(k));
    for (let k = 0; k < all.length && keep.size < MAX_MOPS - 1; k++) keep.add(k);
    lines = all.filter((_, k) => keep.has(k));
    lines.push({ text: `… ${all.length - lines.length} more micro-ops`, strong: false });
  }
  lines = lines.map((l) => ({ ...l, text: clip(l.text, MAX_MOP_CHARS) }));
  if (lines.length === 0) lines = [{ text: Array.isArray(ref.value) ? '(no micro-ops)' : clip(showValue(ref.value), MAX_MOP_CHARS), strong: false }];
  const pos = index === undefined ? -1 : h.positionOf(index);
  const lineNo = pos >= 0 ? h.lineOf(pos) : undefined;
  const tooltip = `${name}: op index ${index ?? '?'}${lineNo === undefined ? '' : ` (line ${lineNo})`}, process ${String(ref.process ?? '?')}, ${outcome ?? 'outcome unknown'}: ${mops.map(mopText).join(', ')}`;
  const w = Math.max(MIN_BOX_W, 2 * PAD + Math.max(name.length * NAME_W + 8 + sub.length * SANS_W, ...lines.map((l) => l.text.length * MONO_W)));
  const hgt = PAD + HEAD_H + lines.length * MOP_H + PAD - 4;
  return { ref, name, sub, lines, tooltip, w, h: hgt, cx: 0, cy: 0 };
}

/** An outcome as the page says it. */
function outcomeWords(type: string): string {
  return type === 'fail' ? 'failed' : type === 'invoke' ? 'no response' : type;
}

function isMop(m: unknown): m is [unknown, unknown, unknown] {
  return Array.isArray(m) && m.length === 3;
}

/** `r 255 [2 3 4 5]`, `append 256 3`, `w x 1` (Elle's look); anything malformed as JSON. */
export function mopText(m: unknown): string {
  if (!isMop(m)) return showValue(m);
  const f = typeof m[0] === 'string' ? m[0] : showValue(m[0]);
  return `${f} ${showKey(m[1])} ${showValue(m[2])}`;
}

function boxShape(b: Box, bounds: Bounds): string {
  const x = b.cx - b.w / 2;
  const y = b.cy - b.h / 2;
  bounds.add(x, y, x + b.w, y + b.h);
  // Failed: grey; unknown outcome (info, or no response): amber and dashed, as on the timelines.
  const outcome = b.ref.type;
  const unknown = outcome !== undefined && outcome !== 'ok' && outcome !== 'fail';
  const stroke = outcome === 'fail' ? '#9a9a9a' : unknown ? '#c08400' : '#48484a';
  const fill = outcome === 'fail' ? '#f1f1f1' : unknown ? '#fff8e5' : '#f7f8fa';
  const parts: string[] = [title(b.tooltip)];
  parts.push(rect({ x, y, width: b.w, height: b.h, rx: 6, fill, stroke, 'stroke-width': 1.5, 'stroke-dasharray': unknown ? '5 3' : undefined }));
  parts.push(rect({ x, y, width: b.w, height: HEAD_H + 4, rx: 6, fill: '#e9ebf0' }));
  parts.push(rect({ x, y: y + HEAD_H - 2, width: b.w, height: 6, fill: '#e9ebf0' }));
  parts.push(line({ x1: x, y1: y + HEAD_H + 4, x2: x + b.w, y2: y + HEAD_H + 4, stroke: '#d2d4da' }));
  parts.push(text({ x: x + PAD, y: y + 18, 'font-size': 15, 'font-weight': 700, fill: '#1d1d1f' }, b.name));
  parts.push(text({ x: x + PAD + b.name.length * NAME_W + 8, y: y + 17, fill: '#515154' }, b.sub));
  b.lines.forEach((l, k) => {
    const a: Attrs = {
      x: x + PAD,
      y: y + HEAD_H + 4 + PAD + 4 + k * MOP_H,
      'font-family': 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      'font-size': 12,
      fill: l.strong ? '#1d1d1f' : '#6e6e73',
      'font-weight': l.strong ? 700 : undefined,
    };
    parts.push(text(a, l.text));
  });
  return group({ class: 'txn', 'data-name': b.name }, parts);
}

/** The point where the ray from the box's centre toward (tx, ty) leaves the box (plus `margin`). */
function clipToBox(b: Box, tx: number, ty: number, margin: number): { x: number; y: number } {
  const dx = tx - b.cx;
  const dy = ty - b.cy;
  if (dx === 0 && dy === 0) return { x: b.cx, y: b.cy };
  const t = Math.min(dx === 0 ? Infinity : (b.w / 2 + margin) / Math.abs(dx), dy === 0 ? Infinity : (b.h / 2 + margin) / Math.abs(dy));
  return { x: b.cx + dx * t, y: b.cy + dy * t };
}

/**
 * An arrow from (x1, y1) to (x2, y2) — straight, or a cubic curve through the two control
 * points `c` — with its label at (lx, ly) and the step's reason as its tooltip.
 */
function edgeShape(
  step: Step,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  c: { x1: number; y1: number; x2: number; y2: number } | null,
  label: string,
  lx: number,
  ly: number,
  bounds: Bounds,
): string {
  const st = edgeStyle(step.type);
  const HEAD = 11;
  // Direction into the end point, for the arrowhead; the line stops at the head's base.
  const fx = c ? c.x2 : x1;
  const fy = c ? c.y2 : y1;
  const len = Math.hypot(x2 - fx, y2 - fy) || 1;
  const ux = (x2 - fx) / len;
  const uy = (y2 - fy) / len;
  const bx = x2 - ux * HEAD;
  const by = y2 - uy * HEAD;
  const common: Attrs = { fill: 'none', stroke: st.color, 'stroke-width': 2.2, 'stroke-dasharray': st.dash };
  const body = c
    ? el('path', { d: `M${num(x1)} ${num(y1)} C${num(c.x1)} ${num(c.y1)} ${num(c.x2)} ${num(c.y2)} ${num(bx)} ${num(by)}`, ...common })
    : line({ x1, y1, x2: bx, y2: by, ...common, fill: undefined });
  const px = -uy;
  const py = ux;
  const head = el('polygon', {
    points: [[x2, y2], [bx + px * 5.5, by + py * 5.5], [bx - px * 5.5, by - py * 5.5]].map(([x, y]) => `${num(x)},${num(y)}`).join(' '),
    fill: st.color,
  });
  const lw = label.length * LABEL_CHAR_W;
  bounds.add(Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2));
  if (c) {
    for (let k = 1; k < 10; k++) {
      const [x, y] = bezier(k / 10, x1, y1, c, x2, y2);
      bounds.add(x, y, x, y);
    }
  }
  bounds.add(lx - lw / 2 - 4, ly - 13, lx + lw / 2 + 4, ly + 5);
  // The label sits on a white plate, so a line passing under it does not cross its letters.
  const plate = rect({ x: lx - lw / 2 - 4, y: ly - 13, width: lw + 8, height: 18, rx: 4, fill: '#ffffff', 'fill-opacity': 0.92 });
  const labelText = text({ x: lx, y: ly, 'text-anchor': 'middle', 'font-size': 12.5, 'font-weight': 700, fill: st.color }, label);
  return group({ class: `edge-${cssName(step.type)}` }, [title(`${step.from} ${step.type}→ ${step.to}: ${step.why}`), body, head, plate, labelText]);
}

/** The point at `t` of the cubic curve from (x1, y1) through control points `c` to (x2, y2). */
function bezier(t: number, x1: number, y1: number, c: { x1: number; y1: number; x2: number; y2: number }, x2: number, y2: number): [number, number] {
  const u = 1 - t;
  return [
    u * u * u * x1 + 3 * u * u * t * c.x1 + 3 * u * t * t * c.x2 + t * t * t * x2,
    u * u * u * y1 + 3 * u * u * t * c.y1 + 3 * u * t * t * c.y2 + t * t * t * y2,
  ];
}

class Bounds {
  minX = Infinity;
  minY = Infinity;
  maxX = -Infinity;
  maxY = -Infinity;
  add(x1: number, y1: number, x2: number, y2: number): void {
    this.minX = Math.min(this.minX, x1);
    this.minY = Math.min(this.minY, y1);
    this.maxX = Math.max(this.maxX, x2);
    this.maxY = Math.max(this.maxY, y2);
  }
}

/** The legend of edge types (HTML), each drawn as in the cycles. */
function edgeLegend(): string {
  const items = EDGE_TYPES.map((t) => {
    const st = EDGE_STYLE[t];
    const sw = svg(44, 14, [
      line({ x1: 2, y1: 7, x2: 33, y2: 7, stroke: st.color, 'stroke-width': 2.2, 'stroke-dasharray': st.dash }),
      el('polygon', { points: '42,7 32,2 32,12', fill: st.color }),
    ], { 'aria-hidden': 'true' });
    return `<li>${sw}<span><span class="edge e-${t}">${t}</span> ${esc(st.meaning)}</span></li>`;
  });
  return `<ul class="legend">${items.join('')}</ul>`;
}

// ---------------------------------------------------------------------------------------------
// Anomalies that are not cycles.

const ROLE_FIELDS = ['txn', 'reader', 'writer', 'aborted'] as const;
const SKIP_FIELDS = new Set(['type', 'sentence', 'ops', 'cycle', 'steps', 'txns', ...ROLE_FIELDS]);

function plainExample(h: History, a: AnomalyEx): string {
  const out: string[] = [];
  out.push(`<p class="sentence">${esc(sentence(String(a.sentence ?? '')))}</p>`);
  const facts: string[] = [];
  for (const [k, v] of Object.entries(a)) {
    if (SKIP_FIELDS.has(k) || v === undefined) continue;
    const shownValue = k === 'key' ? showKey(v) : k === 'mop' && typeof v === 'number' ? `micro-op ${v} (counting from 0)` : showValue(v);
    facts.push(`<span><span class="muted">${esc(k)}</span> <code>${esc(shownValue)}</code></span>`);
  }
  if (facts.length) out.push(`<div class="stats">${facts.join('')}</div>`);

  // The transactions involved: as the evidence names them, then any other op it lists, from the history.
  const rows: { role: string; ref: TxnRef }[] = [];
  for (const role of ROLE_FIELDS) {
    const ref = a[role];
    if (ref && typeof ref === 'object') rows.push({ role, ref: ref as TxnRef });
  }
  if (Array.isArray(a.txns)) for (const ref of a.txns) if (ref && typeof ref === 'object') rows.push({ role: 'txn', ref: ref as TxnRef });
  const named = new Set(rows.map((r) => r.ref.index));
  for (const index of Array.isArray(a.ops) ? a.ops : []) {
    if (named.has(index)) continue;
    const pos = h.positionOf(index);
    if (pos < 0) {
      rows.push({ role: '', ref: { index } });
      continue;
    }
    const op = h.ops[pos];
    rows.push({ role: 'involved', ref: { index, process: op.process, type: op.type, value: op.value } });
    named.add(index);
  }
  if (rows.length) {
    const body = rows.map(({ role, ref }) => {
      const pos = typeof ref.index === 'number' ? h.positionOf(ref.index) : -1;
      const lineNo = pos >= 0 ? h.lineOf(pos) : undefined;
      // (A result checked by streaming a JSONL file is rendered without the history's ops.)
      const missing = h.length > 0 ? '(not found in this history)' : '';
      const mops = Array.isArray(ref.value) ? ref.value.map(mopText).join(', ') : ref.value === undefined ? missing : showValue(ref.value);
      return `<tr><td>${esc(role)}</td><td class="num">${esc(ref.index === undefined ? '' : String(ref.index))}</td><td class="num">${lineNo === undefined ? '' : lineNo}</td><td>${esc(ref.process === undefined ? '' : String(ref.process))}</td><td>${esc(ref.type === undefined ? '' : outcomeWords(ref.type))}</td><td class="mops">${esc(mops)}</td></tr>`;
    });
    out.push(`<table><thead><tr><th>role</th><th class="num">index</th><th class="num">line</th><th>process</th><th>outcome</th><th>micro-ops</th></tr></thead><tbody>${body.join('')}</tbody></table>`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Unknown verdicts.

function cycleSearchSection(cs: CycleSearch | undefined): string {
  const out: string[] = ['<h2>Cycle search</h2>'];
  if (!cs || typeof cs !== 'object') {
    out.push('<p class="muted">The result does not say how far the cycle search got.</p>');
    return out.join('\n');
  }
  out.push(`<p>${cs.timedOut ? 'The search ran out of time (raise <code>--timeout</code> to give it more).' : 'The search finished, but could not classify every component.'} These parts of the dependency graph hold cycles that were not classified, so an anomaly may hide in them.</p>`);
  const und = Array.isArray(cs.undetermined) ? cs.undetermined : [];
  if (und.length) {
    const rows = und.map((u) => `<tr><td>${esc(String(u.name ?? ''))}</td><td class="num">${typeof u.size === 'number' ? u.size : ''}</td><td>${esc(String(u.reason ?? ''))}</td></tr>`);
    out.push(`<table><thead><tr><th>anomaly class</th><th class="num">component size</th><th>why undecided</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  const comps = Array.isArray(cs.components) ? cs.components : [];
  if (comps.length) {
    const rows = comps.map((c, i) => {
      const txns = Array.isArray(c.txns) ? c.txns : [];
      const size = typeof c.size === 'number' ? c.size : txns.length;
      const more = size > txns.length ? ` … and ${size - txns.length} more` : '';
      return `<tr><td class="num">${i + 1}</td><td class="num">${size}</td><td class="mops">${esc(txns.join(' '))}${esc(more)}</td></tr>`;
    });
    out.push(`<p>Strongly connected components of the dependency graph (transactions by their op index):</p><table><thead><tr><th class="num">#</th><th class="num">transactions</th><th>op indices</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

function own(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function anomalyMap(x: unknown): Record<string, AnomalyEx[]> {
  const out: Record<string, AnomalyEx[]> = {};
  if (!x || typeof x !== 'object') return out;
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.filter((a): a is AnomalyEx => !!a && typeof a === 'object') : [];
  }
  return out;
}

function numberMap(x: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!x || typeof x !== 'object') return out;
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

function record(x: unknown): Record<string, unknown> {
  return x && typeof x === 'object' ? (x as Record<string, unknown>) : {};
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
}

function listWords(xs: string[]): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** A fragment id for an anomaly type (letters, digits and dashes). */
function anchor(type: string): string {
  return `anomaly-${type.replace(/[^A-Za-z0-9-]/g, '_')}`;
}

function cssName(s: unknown): string {
  return String(s).replace(/[^A-Za-z0-9-]/g, '_');
}

/** Capitalized, with a full stop. */
function sentence(s: string): string {
  const t = capitalize(s.trim());
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
}

function capitalize(s: string): string {
  return s.length ? s[0].toUpperCase() + s.slice(1) : s;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function esc(s: string): string {
  return escapeHtml(s);
}
