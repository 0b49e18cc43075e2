// Where and when the elements a set-full check found lost were added: each add as a tick at its
// invocation time in its node's row (lost red, never read orange, kept grey), with the faults
// shaded, and a table per node. Lost adds that cluster on one node during a pause or a partition
// tell the story the counts alone do not.
import type { TopLevelSpec } from 'vega-lite';
import { analyzeSetFull } from '../checker/set.js';
import type { Result } from '../checker/types.js';
import type { History } from '../histories/history.js';
import type { FaultTimeline } from './fault-intervals.js';
import { escapeHtml as esc } from './html.js';
import { checkerResults } from './run-evidence.js';
import { baseSpec, faultLayers, faultLayerSpecs, type Layer, plotDomain, round } from './run-plots.js';
import { binWidth, type TimeAxis } from './run-series.js';
import { vegaLiteSvg } from './vega-svg.js';

const OUTCOME = ['kept', 'lost', 'never read'] as const;
const COLORS = ['#b8bcc4', '#d40000', '#f58518'];
/** Kept adds drawn at most (lost and never-read ones are always drawn). */
const MAX_KEPT = 3000;

/** The first set-full result that lost elements, by shape (lostCount > 0 and per-element examples). */
export function lostElementsResult(results: Result): { checker: string; result: Result } | undefined {
  for (const { name, result } of checkerResults(results)) {
    if (result.valid === false && typeof result.lostCount === 'number' && result.lostCount > 0 && Array.isArray(result.lostExamples)) return { checker: name, result };
  }
  return undefined;
}

export async function renderLostElements(h: History, axis: TimeAxis, faults: FaultTimeline, results: Result): Promise<string> {
  const found = lostElementsResult(results);
  if (!found || !axis.timed) return '';
  let a: ReturnType<typeof analyzeSetFull>;
  try {
    a = analyzeSetFull(h);
  } catch {
    return '';
  }
  const perNode = new Map<string, [number, number, number]>();
  const values: { t: number; node: string; o: string; e: string }[] = [];
  let kept = 0;
  let firstLost = Infinity;
  let lastLost = -Infinity;
  for (let e = 0; e < a.index.size; e++) {
    const p = a.addInv[e];
    if (p < 0) continue;
    const op = h.ops[p];
    if (typeof op.time !== 'number') continue;
    const node = op.node === undefined ? 'unknown node' : String(op.node);
    const o = a.outcome[e];
    let c = perNode.get(node);
    if (!c) perNode.set(node, (c = [0, 0, 0]));
    c[o]++;
    const t = (op.time - axis.origin) / 1e9;
    if (o === 1) {
      firstLost = Math.min(firstLost, t);
      lastLost = Math.max(lastLost, t);
    }
    if (o === 0 && kept++ >= MAX_KEPT) continue;
    values.push({ t: round(t, 6), node, o: OUTCOME[o], e: JSON.stringify(a.index.values[e]) });
  }
  if (values.length === 0) return '';
  const nodes = [...perNode.keys()].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  const span = Math.max((axis.end - axis.origin) / 1e9, 0.001);
  const domainSeconds = plotDomain(span, binWidth(span));
  // Lost and never-read ticks on top of the kept ones.
  values.sort((x, y) => OUTCOME.indexOf(x.o as (typeof OUTCOME)[number]) - OUTCOME.indexOf(y.o as (typeof OUTCOME)[number]));
  const ticks: Layer = {
    data: { values },
    mark: { type: 'tick', thickness: 1.5, clip: true },
    encoding: {
      y: { field: 'node', type: 'nominal', sort: nodes, axis: { title: 'node the add went to' }, scale: { domain: nodes } },
      color: { field: 'o', type: 'nominal', scale: { domain: [...OUTCOME], range: COLORS }, legend: null },
    },
  };
  const f = faultLayerSpecs(faultLayers(faults, axis, domainSeconds));
  const spec = baseSpec(Math.max(60, nodes.length * 28), domainSeconds, [...f.under, ticks, ...f.over]) as TopLevelSpec;
  const r = await vegaLiteSvg(spec, 'set adds over time by node: kept, lost, never read');
  const rows = nodes.map((n) => {
    const [k, l, nr] = perNode.get(n)!;
    const all = k + l + nr;
    return `<tr><th>${esc(n)}</th><td class="num">${all}</td><td class="num">${l}</td><td class="num">${all ? Math.round((l / all) * 100) : 0} %</td><td class="num">${nr}</td></tr>`;
  });
  const lostCount = found.result.lostCount as number;
  const when = lostCount > 0 && Number.isFinite(firstLost) ? ` Lost adds were invoked from ${firstLost.toFixed(2)} s to ${lastLost.toFixed(2)} s.` : '';
  const legend =
    `<ul class="legend">${OUTCOME.map((o, k) => `<li><span class="swatch" style="background:${COLORS[k]}"></span>${o === 'kept' ? 'kept (read after it was added, to the end)' : o === 'lost' ? 'lost (acknowledged, then missing from the last read)' : 'never read'}</li>`).join('')}</ul>`;
  return (
    `<p>${esc(`${found.checker} found ${lostCount} element${lostCount === 1 ? '' : 's'} lost. Each add is a tick at the time it was invoked, in the row of the node it went to.${when}`)}</p>` +
    legend +
    `<figure class="plot">${r.svg}</figure>` +
    `<table class="lost"><thead><tr><th>node</th><th class="num">adds</th><th class="num">lost</th><th class="num">lost share</th><th class="num">never read</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    (kept > MAX_KEPT ? `<p class="muted">${kept - MAX_KEPT} more kept adds are not drawn.</p>` : '')
  );
}
