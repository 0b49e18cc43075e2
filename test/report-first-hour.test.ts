// Pieces of the run report that issue 19 fixed or added, in isolation: a read of null shown as
// such, the op that set the state a linearizability failure names, no NaN for empty quantiles,
// measurements not shown as passes, latency quantile windows, the nodes a fault acted on, and a
// time domain that leaves the last bin whole.
import { describe, expect, it } from 'vitest';
import { linearizable } from '../checker/linearizable/index.js';
import { renderLinearizableView } from '../report/linearizable-view.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { measurementOf } from '../report/measurements.js';
import { stateSetter, evidenceOf } from '../report/run-evidence.js';
import { nodesOfFault } from '../report/run-nodes.js';
import { plotDomain } from '../report/run-plots.js';
import { latencyQuantiles, latencySeries, timeAxis } from '../report/run-series.js';
import { opText } from '../report/run-timeline.js';
import { renderVerdicts } from '../report/run-verdicts.js';
import { processTimeline } from '../report/timeline.js';

const op = (o: Partial<Op>): Op => ({ index: 0, type: 'invoke', process: 0, f: 'read', value: null, ...o }) as Op;

describe('report pieces', () => {
  it('a read that returned null says so; a write that echoes its value does not repeat it', () => {
    expect(opText(op({}), op({ type: 'ok', value: null }))).toBe('read → null');
    expect(opText(op({}), op({ type: 'ok', value: 3 }))).toBe('read → 3');
    expect(opText(op({ f: 'write', value: 3 }), op({ type: 'ok', f: 'write', value: 3 }))).toBe('write 3');
    expect(opText(op({}), op({ type: 'info', value: null }))).toBe('read');
  });

  it("the linearizability view (check --out) shows a read of null as such too", async () => {
    const h = new History([
      op({ index: 0, f: 'write', value: 1, time: 1 }),
      op({ index: 1, type: 'ok', f: 'write', value: 1, time: 2 }),
      op({ index: 2, process: 1, time: 3 }),
      op({ index: 3, process: 1, type: 'ok', value: null, time: 4 }),
    ]);
    const r = await linearizable.check(h, { model: 'cas-register' });
    expect(r.valid).toBe(false);
    expect(renderLinearizableView(h, r)).toContain('read → null');
  });

  it('names the op that left the state a linearizability failure names, and cites it', () => {
    const failure = { op: { index: 11, completionIndex: 12 }, prefix: { ops: 5, linearization: [0, 3], states: ['null', '3'], finalStates: ['3'] }, concurrent: [] };
    const lin = { valid: false as const, model: 'cas-register', ops: [11, 12], failure };
    expect(stateSetter(lin)).toEqual({ index: 3, why: 'left the cas-register in state 3' });
    // A state never changed by the order (reads of the initial state): nobody to name.
    expect(stateSetter({ ...lin, failure: { ...failure, prefix: { ...failure.prefix, states: ['null', 'null'] } } })).toBeUndefined();
    const ev = evidenceOf({ valid: false, linearizable: lin, stats: { valid: true } });
    expect([...ev.context]).toEqual([[3, { checker: 'linearizable', why: 'left the cas-register in state 3' }]]);
    expect(ev.first?.ops).toEqual([11, 12]);
  });

  it('an empty quantile summary reads "none measured", never NaN; measurements get no green badge', () => {
    const staleness = { valid: true as const, summary: '128 reads, none stale', reads: 128, stale: 0, lagMs: { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN }, versionsBehind: { count: 0, p50: null, max: null } };
    const html = renderVerdicts([{ name: 'staleness', result: staleness, depth: 0 }], { byChecker: new Map(), citing: new Map(), context: new Map() }, new Set());
    const shown = html.split('<details>')[0]; // (the whole result's JSON, folded away, has its nulls)
    expect(html).not.toContain('NaN');
    expect(shown).not.toContain('null');
    expect(html).toContain('none measured (count 0)');
    expect(html).toContain('<span class="verdict measured">measured</span>');
    expect(html).toContain('<p class="measure">128 reads, none stale</p>');
    expect(measurementOf('key 3 / staleness')).toBeDefined();
    expect(measurementOf('linearizable')).toBeUndefined();
  });

  it('latency quantiles per window of time, of ok ops only', () => {
    const ops: Op[] = [];
    // window 0 (0–1 s): ten ops of 1…10 ms; window 2: one op of 50 ms; a failed op of 999 ms ignored
    for (let k = 1; k <= 10; k++) ops.push(op({ index: ops.length, process: k, time: k * 1e7 }), op({ index: ops.length + 1, type: 'ok', process: k, time: k * 1e7 + k * 1e6 }));
    ops.push(op({ index: ops.length, process: 20, time: 2.5e9 }), op({ index: ops.length + 1, type: 'ok', process: 20, time: 2.55e9 }));
    ops.push(op({ index: ops.length, process: 21, time: 2.6e9 }), op({ index: ops.length + 1, type: 'fail', process: 21, time: 3.599e9 }));
    const h = new History(ops);
    const q = latencyQuantiles(latencySeries(h, timeAxis(h)).get('read')!, 1);
    expect(q.t).toEqual([0.5, 2.5]);
    expect(q.p50).toEqual([5, 50]);
    expect(q.p95).toEqual([10, 50]);
    expect(q.n).toEqual([10, 1]);
  });

  it('finds the nodes a fault acted on in its value, whatever its shape', () => {
    const nodes = new Set(['n1', 'n2', 'n3']);
    expect([...nodesOfFault(['n2'], nodes)]).toEqual(['n2']);
    expect([...nodesOfFault({ n1: ['n2', 'n3'] }, nodes)].sort()).toEqual(['n1', 'n2', 'n3']);
    expect([...nodesOfFault({ kind: 'bump', nodes: ['n3'], offsetMs: 5 }, nodes)]).toEqual(['n3']);
    expect(nodesOfFault('majority', nodes).size).toBe(0);
  });

  it('the plots run to the end of the last whole bin, and a little past it', () => {
    expect(plotDomain(13.9, 0.2)).toBeGreaterThanOrEqual(14);
    expect(plotDomain(10, 0.1)).toBeGreaterThan(10);
  });

  it('fitLabels: every label whole, beside a bar too short for it, in a row of its own where it would overlap', () => {
    const bars = [
      { id: 1, lane: 'process 0', start: 0, end: 1e6, outcome: 'ok' as const, label: 'read → [1,2,3,4,5]', tooltip: '' },
      { id: 2, lane: 'process 0', start: 1.5e6, end: 2e6, outcome: 'ok' as const, label: 'write 12345', tooltip: '' },
      { id: 3, lane: 'process 1', start: 0, end: 100e6, outcome: 'ok' as const, label: 'write 7', tooltip: '' },
    ];
    const out = processTimeline({ bars, axis: 'time', fitLabels: true, width: 1000 });
    for (const b of bars) expect(out).toContain(`>${b.label.replace('>', '&gt;')}</text>`);
    // the two short ops of process 0 are too close for both labels in one row
    const cys = [...out.matchAll(/data-id="(\d)"[\s\S]*?<rect[^>]* y="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])]);
    const y = Object.fromEntries(cys);
    expect(y['1']).not.toBe(y['2']);
  });
});
