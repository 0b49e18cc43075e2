// The run report's per-node view: what each node served (ops by outcome, ok latency), which faults
// hit it, and its completions over time with only its own faults shaded, so a paused or killed
// node's gap shows against the others'. Nodes come from the ops' `node` field.
import type { History } from '../histories/history.js';
import type { FaultInterval, FaultTimeline } from './fault-intervals.js';
import { escapeHtml as esc } from './html.js';
import { faultColors, faultLayers, formatSeconds, plotDomain, throughputSpec } from './run-plots.js';
import { binWidth, FAIL, INFO, OK, type ThroughputBins, type TimeAxis } from './run-series.js';
import { vegaLiteSvg } from './vega-svg.js';

const MAX_NODES = 12;
const NODE_PLOT_HEIGHT = 60;

interface NodeRow {
  node: string;
  ops: number;
  ok: number;
  fail: number;
  info: number;
  okMs: number[];
}

/** Every string inside a fault's value that names a node: the nodes it acted on. */
export function nodesOfFault(value: unknown, nodes: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, depth: number) => {
    if (depth > 6) return;
    if (typeof v === 'string') {
      if (nodes.has(v)) out.add(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (nodes.has(k)) out.add(k);
        walk(x, depth + 1);
      }
    }
  };
  walk(value, 0);
  return out;
}

function rank(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const ms = (x: number) => (x < 10 ? x.toFixed(1) : String(Math.round(x)));

/** The section's HTML, or a sentence when the ops name no node. */
export async function renderNodeView(h: History, axis: TimeAxis, faults: FaultTimeline): Promise<string> {
  const rows = new Map<string, NodeRow>();
  for (let i = 0; i < h.ops.length; i++) {
    const op = h.ops[i];
    if (op.type !== 'invoke' || op.process === 'nemesis' || op.node === undefined) continue;
    const node = String(op.node);
    let r = rows.get(node);
    if (!r) rows.set(node, (r = { node, ops: 0, ok: 0, fail: 0, info: 0, okMs: [] }));
    r.ops++;
    const c = h.pair[i];
    const done = c >= 0 ? h.ops[c] : undefined;
    if (done?.type === 'ok') {
      r.ok++;
      if (typeof done.time === 'number' && typeof op.time === 'number') r.okMs.push((done.time - op.time) / 1e6);
    } else if (done?.type === 'fail') r.fail++;
    else r.info++;
  }
  if (rows.size === 0) return '<p>The ops do not say which node they went to (no <code>node</code> field), so there is no per-node view.</p>';
  const nodes = [...rows.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const nodeSet = new Set(nodes);
  const hits = new Map<string, FaultInterval[]>(nodes.map((n) => [n, []]));
  const everywhere: FaultInterval[] = [];
  for (const iv of faults.intervals) {
    const named = nodesOfFault(iv.value, nodeSet);
    if (named.size === 0) everywhere.push(iv);
    for (const n of named) hits.get(n)!.push(iv);
  }
  const sec = (ns: number) => ((ns - axis.origin) / 1e9).toFixed(1);
  const trs = nodes.map((n) => {
    const r = rows.get(n)!;
    const sorted = r.okMs.sort((a, b) => a - b);
    const lat = sorted.length ? `${ms(rank(sorted, 0.5))} / ${ms(rank(sorted, 0.99))}` : '—';
    const on = hits.get(n)!.map((iv) => `${iv.fault} ${sec(iv.start)}–${iv.open ? 'end' : sec(iv.end)} s`);
    return (
      `<tr><th>${esc(n)}</th><td class="num">${r.ops}</td><td class="num">${r.ok}</td><td class="num">${r.fail}</td><td class="num">${r.info}</td>` +
      `<td class="num">${lat}</td><td>${esc(on.join(', ') || 'none')}</td></tr>`
    );
  });
  const out = [
    '<p class="muted">Each client thread talks to one node. Per node: its ops by outcome (info includes ops that never completed), the p50 / p99 latency of its ok ops, and the faults whose target names it.' +
      (everywhere.length ? ` Faults that name no node (${esc([...new Set(everywhere.map((iv) => iv.fault))].join(', '))}) are shaded in every row.` : '') +
      '</p>',
    '<table class="nodes"><thead><tr><th>node</th><th class="num">ops</th><th class="num">ok</th><th class="num">fail</th><th class="num">info</th><th class="num">ok p50 / p99 (ms)</th><th>faults on it</th></tr></thead>' +
      `<tbody>${trs.join('')}</tbody></table>`,
  ];
  if (!axis.timed) return out.join('\n');
  // Completions per node over time, each row shaded with the faults that hit it.
  const span = Math.max((axis.end - axis.origin) / 1e9, 0.001);
  const binSeconds = binWidth(span);
  const domainSeconds = plotDomain(span, binSeconds);
  const bins = nodeBins(h, axis, binSeconds, span);
  const colors = faultColors(faults);
  out.push(`<p class="muted">Completions per second of each node's ops in ${esc(formatSeconds(binSeconds))} bins, stacked by outcome (ok, fail, info as in the throughput plots).</p>`);
  for (const n of nodes.slice(0, MAX_NODES)) {
    const own: FaultTimeline = { intervals: [...hits.get(n)!, ...everywhere].sort((a, b) => a.start - b.start), events: [] };
    const b = bins.get(n);
    if (!b) {
      out.push(`<p>${esc(n)}: none of its ops completed.</p>`);
      continue;
    }
    const { spec } = throughputSpec(b, faultLayers(own, axis, domainSeconds, colors), domainSeconds, NODE_PLOT_HEIGHT);
    const r = await vegaLiteSvg(spec, `completions of node ${n} over time`);
    out.push(`<figure class="plot node"><h3>${esc(n)}</h3>${r.svg}</figure>`);
  }
  if (nodes.length > MAX_NODES) out.push(`<p class="muted">${nodes.length - MAX_NODES} more nodes are in the table but not drawn.</p>`);
  return out.join('\n');
}

function nodeBins(h: History, axis: TimeAxis, binSeconds: number, span: number): Map<string, ThroughputBins> {
  const nBins = Math.max(1, Math.ceil(span / binSeconds - 1e-9));
  const out = new Map<string, ThroughputBins>();
  for (let i = 0; i < h.ops.length; i++) {
    const op = h.ops[i];
    if (op.type === 'invoke' || op.process === 'nemesis' || typeof op.time !== 'number') continue;
    const inv = h.pair[i];
    const node = op.node ?? (inv >= 0 ? h.ops[inv].node : undefined);
    if (node === undefined) continue;
    const key = String(node);
    let b = out.get(key);
    if (!b) out.set(key, (b = { binSeconds, counts: [new Float64Array(nBins), new Float64Array(nBins), new Float64Array(nBins)] }));
    const bin = Math.min(nBins - 1, Math.max(0, Math.floor((op.time - axis.origin) / 1e9 / binSeconds)));
    b.counts[op.type === 'ok' ? OK : op.type === 'fail' ? FAIL : INFO][bin]++;
  }
  return out;
}
