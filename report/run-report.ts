// report.html of a test run: one self-contained page (inline CSS and SVG, no scripts, no
// external assets) with the verdict, each checker's evidence, an operation timeline around the
// first anomaly, latency and throughput over time per f with the faults shaded, and the config.
// Reads only the resolved config, the History and the composed Result, so `faultline report`
// can re-render it from a store directory.
import { countOutcomes } from '../checker/stats.js';
import type { Result } from '../checker/types.js';
import type { History } from '../histories/history.js';
import { faultIntervals, type FaultInterval, type FaultTimeline } from './fault-intervals.js';
import { escapeHtml as esc, page } from './html.js';
import { checkerResults, type Evidence, evidenceOf, invocationPosition, verdictWord } from './run-evidence.js';
import { renderLinearized } from './run-linearized.js';
import { renderLostElements } from './run-lost.js';
import { renderNodeView } from './run-nodes.js';
import { renderOverview } from './run-overview.js';
import { faultColors, formatSeconds, OUTCOME_COLORS, QUANTILE_COLORS, renderRunPlots, type RunPlots } from './run-plots.js';
import { OUTCOMES, type TimeAxis, timeAxis } from './run-series.js';
import { opText, renderRunTimeline, showValue, VALID_WINDOW } from './run-timeline.js';
import { opLinks, renderVerdicts, VERDICT_CSS } from './run-verdicts.js';
import { renderMetricsSection } from './run-metrics.js';
import type { RunMetrics } from '../metrics/types.js';

export interface RunReportInput {
  /** The resolved config: name, workload, target, nemesis, seed, concurrency, timeLimit… */
  test: Record<string, unknown>;
  history: History;
  /** The composed result: { valid, explanation?, <checkerName>: Result, … }. */
  results: Result;
  /** The page's title (default: the test's name). */
  title?: string;
}

/** Rows of the cited-ops table; further cited ops are counted, not listed. */
const MAX_CITED_ROWS = 200;

const CSS = `
nav.toc { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 6px 0 4px; font-size: 13px; }
nav.toc a { color: #1f5fbf; text-decoration: none; }
.lead { font-size: 15px; margin: 10px 0; }
.lead.invalid { border-left: 4px solid #d40000; padding: 2px 0 2px 12px; }
.lead.unknown { border-left: 4px solid #c08400; padding: 2px 0 2px 12px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 10px 0; padding: 0; list-style: none; }
.facts li { display: flex; flex-direction: column; }
.facts .k { font-size: 12px; color: #6e6e73; }
.facts .v { font-size: 16px; font-weight: 600; font-variant-numeric: tabular-nums; }
.figure { border: 1px solid #e3e3e6; border-radius: 6px; padding: 8px; margin: 8px 0; overflow-x: auto; }
.plot { margin: 10px 0 18px; }
.plot h3 { font-size: 14px; margin: 0 0 2px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.plot p { font-size: 12px; margin: 2px 0; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; vertical-align: 0; }
.dash { display: inline-block; width: 0; height: 14px; border-left: 1.5px dashed #6e6e73; vertical-align: -2px; margin: 0 6px; }
tr:target td, tr:target th { background: #fff4d6; }
table.cited-ops { width: 100%; }
table.cited-ops td, table.cited-ops th { white-space: nowrap; }
table.cited-ops td.op { white-space: normal; overflow-wrap: anywhere; width: 45%; }
table.cited-ops td.by { white-space: normal; min-width: 9em; }
.nw { white-space: nowrap; }
tr.cited td.idx { font-weight: 600; }
dl.config { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; font-size: 13px; }
dl.config dt { color: #6e6e73; }
dl.config dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.warn { background: #fdf0d2; border-radius: 4px; padding: 6px 10px; }
`;

const nf = new Intl.NumberFormat('en-US');

/** The whole report page. Async: Vega's dataflow and its SVG serializer are. */
export async function renderRunReport(input: RunReportInput): Promise<string> {
  const { test, history: h, results } = input;
  const name = typeof test.name === 'string' && test.name ? test.name : 'faultline run';
  const title = input.title ?? name;
  const axis = timeAxis(h);
  const faults = faultIntervals(h.ops, axis.end);
  const checkers = checkerResults(results);
  const evidence = evidenceOf(results);
  const citedSet = new Set(evidence.first?.ops ?? []);
  const citedPositions = (evidence.first?.ops ?? []).map((i) => invocationPosition(h, i)).filter((p) => p >= 0);
  const timeline = renderRunTimeline(h, axis, citedSet, citedPositions, new Set(evidence.context.keys()));
  const cited = citedTable(h, axis, evidence, new Set(timeline.positions));
  const plots = axis.timed && h.clientOps().length > 0 ? await renderRunPlots(h, axis, faults) : undefined;
  const linearized = renderLinearized(h, axis, results);
  const lost = await renderLostElements(h, axis, faults, results);
  const allCited = [...evidence.citing.keys(), ...evidence.context.keys()].map((i) => invocationPosition(h, i)).filter((p) => p >= 0);
  const overview = renderOverview({
    h,
    axis,
    faults,
    concurrency: typeof test.concurrency === 'number' ? test.concurrency : undefined,
    cited: allCited,
    ...(timeline.fromSeconds !== undefined && timeline.toSeconds !== undefined ? { window: { from: timeline.fromSeconds, to: timeline.toSeconds } } : {}),
  });
  const nodes = await renderNodeView(h, axis, faults);
  const metrics = await renderMetricsSection(results.metrics as RunMetrics | undefined, faults, axis);

  const body: string[] = [];
  body.push(header(title, test, h, results, axis, faults));
  const sections = [
    'verdicts:Verdicts', 'timeline:Timeline', ...(linearized ? ['linearized:Linearized prefix'] : []), ...(lost ? ['lost:Lost elements'] : []), 'run:Whole run',
    'latency:Latency', 'quantiles:Latency quantiles', 'throughput:Throughput', 'metrics:Metrics', 'nodes:Nodes', 'faults:Faults', 'config:Config',
  ];
  body.push(
    '<nav class="toc" aria-label="sections">' +
      sections
        .map((s) => s.split(':'))
        .map(([id, label]) => `<a href="#${id}">${label}</a>`)
        .join('') +
      '</nav>',
  );
  body.push('<h2 id="verdicts">Verdicts</h2>');
  body.push(renderVerdicts(checkers, evidence, cited.anchored));
  body.push(timelineSection(h, evidence, timeline, faults, axis, cited.html));
  if (linearized) body.push('<h2 id="linearized">The linearized prefix, on a time axis</h2>', linearized);
  if (lost) body.push('<h2 id="lost">Lost elements: when and on which node they were added</h2>', lost);
  body.push('<h2 id="run">The whole run</h2>', overview);
  body.push(plotSections(h, plots, faults));
  body.push(metrics);
  body.push('<h2 id="nodes">Nodes</h2>', nodes);
  body.push(faultSection(faults, axis));
  body.push(configSection(test));
  body.push(`<p class="muted">faultline · ${esc(h.file)} · ${nf.format(h.length)} history records</p>`);
  return page({ title: `${title}: ${verdictWord(results.valid)}`, body: body.join('\n'), css: VERDICT_CSS + CSS });
}

function header(title: string, test: Record<string, unknown>, h: History, results: Result, axis: TimeAxis, faults: FaultTimeline): string {
  const word = verdictWord(results.valid);
  const label = word === 'valid' ? 'Valid' : word === 'invalid' ? 'Invalid' : 'Unknown';
  const explanation =
    typeof results.explanation === 'string' && results.explanation
      ? results.explanation
      : word === 'valid'
        ? 'Every checker found the history valid.'
        : word === 'invalid'
          ? 'A checker found an anomaly.'
          : 'A checker could not decide.';
  const { total } = countOutcomes(h);
  const duration = axis.timed ? formatSeconds((axis.end - axis.origin) / 1e9) : 'no times recorded';
  const facts: [string, string][] = [
    ['ops', nf.format(h.invocationCount)],
    ['history records', nf.format(h.length)],
    ['ok · fail · info', `${nf.format(total.ok)} · ${nf.format(total.fail)} · ${nf.format(total.info + total.open)}`],
    ['duration', duration],
    ['seed', test.seed === undefined ? '—' : String(test.seed)],
    ['faults', faults.intervals.length ? faultCounts(faults.intervals) : 'none'],
  ];
  const summary = configSummary(test);
  const out = [
    `<h1>${esc(title)} <span class="verdict ${word}">${label}</span></h1>`,
    `<p class="lead ${word}">${esc(explanation)}</p>`,
    `<ul class="facts">${facts.map(([k, v]) => `<li><span class="k">${esc(k)}</span><span class="v">${esc(v)}</span></li>`).join('')}</ul>`,
  ];
  if (summary) out.push(`<p class="muted">${esc(summary)}</p>`);
  if (h.warnings.length) out.push(`<p class="warn">${esc(h.warnings.join(' '))}</p>`);
  return out.join('\n');
}

function faultCounts(intervals: FaultInterval[]): string {
  const counts = new Map<string, number>();
  for (const iv of intervals) counts.set(iv.fault, (counts.get(iv.fault) ?? 0) + 1);
  return [...counts].map(([f, n]) => `${f} ×${n}`).join(', ');
}

/** One line: the config's main choices, e.g. "register workload · builtin leader-follower-sync, 3 nodes · …". */
function configSummary(test: Record<string, unknown>): string {
  const parts: string[] = [];
  const named = (v: unknown): string | undefined => (typeof v === 'string' ? v : isRecord(v) && typeof v.name === 'string' ? v.name : undefined);
  const workload = named(test.workload);
  if (workload) parts.push(`${workload} workload`);
  const target = test.target;
  if (typeof target === 'string') parts.push(`target ${target}`);
  else if (isRecord(target)) {
    const bits = [target.type, target.mode].filter((x) => typeof x === 'string').join(' ');
    const nodes = typeof target.nodes === 'number' ? `, ${target.nodes} nodes` : Array.isArray(target.nodes) ? `, ${target.nodes.length} nodes` : '';
    if (bits || nodes) parts.push(`${bits || 'target'}${nodes}`);
  }
  if (typeof test.concurrency === 'number') parts.push(`concurrency ${test.concurrency}`);
  if (typeof test.timeLimit === 'number') parts.push(`time limit ${test.timeLimit} s`);
  if (typeof test.rate === 'number') parts.push(test.rate > 0 ? `rate ${test.rate}/s` : 'unlimited rate');
  const nemesis = test.nemesis;
  if (isRecord(nemesis) && Array.isArray(nemesis.faults)) {
    parts.push(nemesis.faults.length ? `nemesis ${nemesis.faults.map(String).join(', ')}${typeof nemesis.interval === 'number' ? ` every ${nemesis.interval} s` : ''}` : 'no nemesis');
  } else if (typeof nemesis === 'string') parts.push(`nemesis ${nemesis}`);
  return parts.join(' · ');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The cited ops of every invalid checker, one row each (anchors `op-N` for its invocation and completion). */
function citedTable(h: History, axis: TimeAxis, evidence: Evidence, drawn: ReadonlySet<number>): { html: string; anchored: Set<number> } {
  const anchored = new Set<number>();
  const rows = new Map<number, Set<string>>(); // invocation position → checkers citing it
  const add = (index: number, who: string) => {
    const p = invocationPosition(h, index);
    if (p < 0) return;
    let r = rows.get(p);
    if (!r) rows.set(p, (r = new Set()));
    r.add(who);
  };
  for (const [index, checkers] of evidence.citing) for (const c of checkers) add(index, c);
  for (const [index, { checker, why }] of evidence.context) add(index, `${checker}: ${why}`);
  if (rows.size === 0) return { html: '', anchored };
  const positions = [...rows.keys()].sort((a, b) => a - b);
  const listed = positions.slice(0, MAX_CITED_ROWS);
  const trs = listed.map((p) => {
    const inv = h.ops[p];
    const c = h.pair[p];
    const done = c >= 0 ? h.ops[c] : undefined;
    anchored.add(inv.index);
    if (done) anchored.add(done.index);
    const extraAnchor = done ? `<span id="op-${done.index}"></span>` : '';
    const at = typeof inv.time === 'number' && axis.timed ? `${((inv.time - axis.origin) / 1e9).toFixed(3)} s` : '';
    const took = done && typeof done.time === 'number' && typeof inv.time === 'number' ? `${((done.time - inv.time) / 1e6).toFixed(1)} ms` : '';
    const outcome = done ? `${done.type}${done.error !== undefined ? ` (${showValue(done.error, 60)})` : ''}` : 'never completed';
    return (
      `<tr id="op-${inv.index}" class="cited"><td class="num idx">${extraAnchor}${inv.index}${done ? ` → ${done.index}` : ''}</td>` +
      `<td class="num">${esc(String(inv.process))}</td><td>${esc(inv.node === undefined ? '' : String(inv.node))}</td><td class="mono op">${esc(opText(inv, done, 80))}</td><td>${esc(outcome)}</td>` +
      `<td class="num">${esc(at)}</td><td class="num">${esc(took)}</td><td>${drawn.has(p) ? 'yes' : 'no'}</td>` +
      `<td class="by">${[...rows.get(p)!].map(citer).join(', ')}</td></tr>`
    );
  });
  const more = positions.length > listed.length ? `<p class="muted">… and ${nf.format(positions.length - listed.length)} more cited ops, not listed.</p>` : '';
  const head =
    '<tr><th class="num" title="history records: invocation → completion">index</th><th class="num">process</th><th>node</th><th>operation</th><th>outcome</th>' +
    '<th class="num">invoked at</th><th class="num">took</th><th>drawn above</th><th>cited by</th></tr>';
  return {
    html: `<h3>The cited ops</h3><table class="cited-ops"><thead>${head}</thead><tbody>${trs.join('')}</tbody></table>${more}`,
    anchored,
  };
}

/** "checker" or "checker: why", the checker's name kept on one line ("set-full" never as "set- / full"). */
function citer(who: string): string {
  const colon = who.indexOf(': ');
  const name = colon < 0 ? who : who.slice(0, colon);
  return `<span class="nw">${esc(name)}</span>${colon < 0 ? '' : esc(who.slice(colon))}`;
}

function timelineSection(
  h: History,
  evidence: Evidence,
  timeline: ReturnType<typeof renderRunTimeline>,
  faults: FaultTimeline,
  axis: TimeAxis,
  citedHtml: string,
): string {
  const out: string[] = [];
  if (evidence.first) {
    out.push('<h2 id="timeline">Operations around the first anomaly</h2>');
    const ops = evidence.first.ops;
    const shown = new Set(timeline.positions);
    const inWindow = ops.filter((i) => shown.has(invocationPosition(h, i)));
    out.push(
      `<p>The ops that <strong>${esc(evidence.first.checker)}</strong> cites (${opLinks(ops, new Set(ops))}) are outlined in red` +
        (inWindow.length < new Set(ops.map((i) => invocationPosition(h, i))).size ? ', those in this window' : '') +
        `; the ${nf.format(timeline.positions.length)} ops invoked around the first of them are drawn, a lane per process.</p>`,
    );
  } else {
    out.push(`<h2 id="timeline">The first ${nf.format(Math.min(VALID_WINDOW, timeline.positions.length))} operations</h2>`);
    out.push(
      timeline.positions.length
        ? `<p>${h.invocationCount === 0 ? '' : 'No result cites an op, so there is no anomaly to centre on: these are the first ops of the run, a lane per process.'}</p>`
        : '',
    );
  }
  if (!timeline.html) {
    out.push('<p>The history has no client ops, so there is no timeline to draw.</p>');
    return out.join('\n');
  }
  if (timeline.fromSeconds !== undefined && timeline.toSeconds !== undefined) {
    const from = timeline.fromSeconds;
    const to = timeline.toSeconds;
    const during = faults.intervals.filter((iv) => (iv.start - axis.origin) / 1e9 <= to && (iv.end - axis.origin) / 1e9 >= from);
    out.push(
      `<p class="muted">This window runs from ${from.toFixed(3)} s to ${to.toFixed(3)} s` +
        (during.length ? `, during ${esc(during.map((iv) => `${iv.fault} (${sec(iv.start, axis)}–${iv.open ? 'end' : sec(iv.end, axis)})`).join(', '))}.` : ', with no fault in effect.') +
        '</p>',
    );
  }
  out.push(timeline.html);
  out.push(citedHtml);
  return out.join('\n');
}

function sec(ns: number, axis: TimeAxis): string {
  return `${((ns - axis.origin) / 1e9).toFixed(2)} s`;
}

function plotLegend(faults: FaultTimeline, colors: Map<string, string>): string {
  const items = OUTCOMES.map((o) => `<li><span class="dot" style="background:${OUTCOME_COLORS[o]}"></span>${o}</li>`);
  for (const [fault, color] of colors) items.push(`<li><span class="swatch" style="background:${color};opacity:0.45"></span>${esc(fault)} (in effect)</li>`);
  if (faults.events.length) items.push('<li><span class="dash"></span>other nemesis action</li>');
  return `<ul class="legend">${items.join('')}</ul>`;
}

function plotSections(h: History, plots: RunPlots | undefined, faults: FaultTimeline): string {
  const latency = ['<h2 id="latency">Latency over time</h2>'];
  const quantiles = ['<h2 id="quantiles">Latency quantiles over time</h2>'];
  const throughput = ['<h2 id="throughput">Throughput over time</h2>'];
  if (!plots) {
    const why = h.clientOps().length === 0 ? 'The history has no client ops: there is nothing to plot.' : 'The ops carry no times: there is nothing to plot against.';
    return [...latency, `<p>${why}</p>`, ...quantiles, `<p>${why}</p>`, ...throughput, `<p>${why}</p>`].join('\n');
  }
  quantiles.push(
    '<ul class="legend">' +
      (['p50', 'p95', 'p99'] as const).map((q) => `<li><span class="swatch" style="background:${QUANTILE_COLORS[q]}"></span>${q}</li>`).join('') +
      [...faultColors(faults)].map(([fault, color]) => `<li><span class="swatch" style="background:${color};opacity:0.45"></span>${esc(fault)} (in effect)</li>`).join('') +
      '</ul>',
  );
  for (const p of plots.quantiles) quantiles.push(`<figure class="plot"><h3>${esc(p.f)}</h3>${p.svg}<p class="muted">${esc(p.caption)}</p></figure>`);
  if (plots.quantiles.length === 0) quantiles.push('<p>No op completed ok: there are no latencies to take quantiles of.</p>');
  const colors = faultColors(faults);
  latency.push('<p class="muted">Each point is an op: when it was invoked, and how long it took to complete (log scale). Faults are shaded while in effect.</p>');
  latency.push(plotLegend(faults, colors));
  for (const p of plots.latency) {
    latency.push(`<figure class="plot"><h3>${esc(p.f)}</h3>${p.svg}<p class="muted">${esc(p.caption)}</p></figure>`);
  }
  throughput.push(`<p class="muted">Completions per second in ${esc(formatSeconds(plots.binSeconds))} bins, stacked by outcome.</p>`);
  throughput.push(plotLegend(faults, colors));
  for (const p of plots.throughput) {
    throughput.push(`<figure class="plot"><h3>${esc(p.f)}</h3>${p.svg}<p class="muted">${esc(p.caption)}</p></figure>`);
  }
  return [...latency, ...quantiles, ...throughput].join('\n');
}

function faultSection(faults: FaultTimeline, axis: TimeAxis): string {
  const out = ['<h2 id="faults">Faults</h2>'];
  if (!faults.intervals.length && !faults.events.length) {
    out.push('<p>No faults were injected (the history has no nemesis ops with times).</p>');
    return out.join('\n');
  }
  if (faults.intervals.length) {
    const rows = faults.intervals.map(
      (iv) =>
        `<tr><td>${esc(iv.fault)}</td><td class="num">${sec(iv.start, axis)}</td><td class="num">${iv.open ? 'end (never stopped)' : sec(iv.end, axis)}</td>` +
        `<td class="num">${esc(formatSeconds((iv.end - iv.start) / 1e9))}</td><td class="mono">${esc(showValue(iv.value, 80))}</td>` +
        `<td>${iv.error === undefined ? '' : esc(showValue(iv.error, 80))}</td></tr>`,
    );
    out.push(
      '<table><thead><tr><th>fault</th><th class="num">from</th><th class="num">to</th><th class="num">lasted</th><th>value</th><th>error</th></tr></thead>' +
        `<tbody>${rows.join('')}</tbody></table>`,
    );
  }
  if (faults.events.length) {
    const rows = faults.events.map(
      (ev) => `<tr><td>${esc(ev.f)}</td><td class="num">${sec(ev.time, axis)}</td><td class="mono">${esc(showValue(ev.value, 80))}</td><td>${ev.error === undefined ? '' : esc(showValue(ev.error, 80))}</td></tr>`,
    );
    out.push(`<p>Other nemesis actions:</p><table><thead><tr><th>f</th><th class="num">at</th><th>value</th><th>error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  return out.join('\n');
}

/** Leaves of the config as dotted names, e.g. target.mode = leader-follower-sync. */
function flatten(obj: Record<string, unknown>, prefix = '', depth = 0, out: [string, string][] = []): [string, string][] {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (isRecord(v) && depth < 2 && Object.keys(v).length > 0) flatten(v, name, depth + 1, out);
    else if (isRecord(v) && Object.keys(v).length === 0) continue;
    else out.push([name, typeof v === 'string' ? v : showValue(v, 160)]);
  }
  return out;
}

function configSection(test: Record<string, unknown>): string {
  const leaves = flatten(test);
  if (!leaves.length) return '<h2 id="config">Config</h2><p>No config was recorded with this run.</p>';
  const dl = leaves.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  let json = '';
  try {
    json = `<details><summary>The config as JSON</summary><pre class="json">${esc(JSON.stringify(test, null, 2) ?? '')}</pre></details>`;
  } catch {
    json = '';
  }
  return `<h2 id="config">Config</h2><dl class="config">${dl}</dl>${json}`;
}
