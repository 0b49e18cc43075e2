// report/run-report.ts and its parts: the run's report.html, rendered from real checker results.
import { describe, expect, it } from 'vitest';
import { compose } from '../checker/compose.js';
import { linearizable } from '../checker/linearizable/index.js';
import { perf } from '../checker/perf.js';
import { stats } from '../checker/stats.js';
import type { Result } from '../checker/types.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { faultIntervals } from '../report/fault-intervals.js';
import { citedBy, evidenceOf } from '../report/run-evidence.js';
import { logAxis, renderRunPlots } from '../report/run-plots.js';
import { renderRunReport } from '../report/run-report.js';
import { binWidth, samplePoints, throughputBins, timeAxis } from '../report/run-series.js';
import { timelineWindow } from '../report/run-timeline.js';
import { vegaLiteSvg } from '../report/vega-svg.js';

type Row = [Op['type'], Op['process'], string, unknown, number /* ms */];
const history = (rows: Row[]) =>
  new History(rows.map(([type, process, f, value, ms], index) => ({ index, type, process, f, value, time: Math.round(ms * 1e6) })));

const TEST = {
  name: 'register-leader-follower-sync',
  workload: { name: 'register', options: {} },
  target: { type: 'builtin', mode: 'leader-follower-sync', nodes: 3, options: {} },
  concurrency: 3,
  timeLimit: 1,
  rate: 0,
  seed: 1234,
  nemesis: { faults: ['partition'], interval: 5 },
};

const checker = compose({ linearizable, stats, perf });
const check = (h: History) => checker.check(h, { model: 'cas-register' });

/** A valid register history over ~1 s with a partition from 300 ms to 600 ms. */
function validHistory(): History {
  const rows: Row[] = [];
  let t = 0;
  for (let k = 0; k < 30; k++) {
    const p = k % 3;
    if (k === 10) rows.push(['info', 'nemesis', 'start-partition', 'majority', t], ['info', 'nemesis', 'start-partition', ['n1'], t + 1]);
    if (k === 20) rows.push(['info', 'nemesis', 'stop-partition', null, t], ['info', 'nemesis', 'stop-partition', 'healed', t + 1]);
    // One op at a time, so any read of the last write is linearizable.
    if (k % 2 === 0) rows.push(['invoke', p, 'write', k, t], ['ok', p, 'write', k, t + 5 + k]);
    else rows.push(['invoke', p, 'read', null, t], [k === 15 ? 'fail' : 'ok', p, 'read', k - 1, t + 3]);
    t += 33;
  }
  return history(rows);
}

/** write 1 completes; then a write of 2 and a read returning 3 run concurrently: 3 was never written. */
function invalidHistory(readValue: unknown = 3): History {
  return history([
    ['invoke', 0, 'write', 1, 0],
    ['ok', 0, 'write', 1, 10],
    ['info', 'nemesis', 'start-partition', 'n1 alone', 12],
    ['invoke', 1, 'write', 2, 20],
    ['invoke', 2, 'read', null, 22],
    ['ok', 2, 'read', readValue, 30],
    ['ok', 1, 'write', 2, 35],
    ['info', 'nemesis', 'stop-partition', null, 40],
    ['invoke', 0, 'read', null, 45],
    ['ok', 0, 'read', 2, 47],
  ]);
}

function svgs(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

const FORBIDDEN_TAGS = ['script', 'iframe', 'object', 'embed', 'link', 'img', 'image', 'foreignobject', 'use', 'base'];

/**
 * Nothing in the page is live or fetched: no script or embedding elements, no event-handler
 * attributes, no URL but a fragment. Checked on the real tags (escaped text has no `<`), with
 * quoted attribute values blanked out first, so data that merely reads like markup passes.
 */
function expectInert(html: string): void {
  for (const tag of html.match(/<[a-zA-Z][^>]*>/g) ?? []) {
    const name = /^<([a-zA-Z0-9:-]+)/.exec(tag)![1].toLowerCase();
    expect(FORBIDDEN_TAGS, tag).not.toContain(name);
    const bare = tag.replace(/"[^"]*"/g, '""');
    expect(bare, tag).not.toMatch(/\son[a-z]+\s*=/i);
    for (const m of tag.matchAll(/\s(src|href|xlink:href)="([^"]*)"/g)) expect(m[2].startsWith('#'), tag).toBe(true);
    for (const m of tag.matchAll(/url\(([^)]*)\)/g)) expect(m[1].startsWith('#'), tag).toBe(true);
  }
  expect(html).not.toMatch(/<script/i);
}

describe('renderRunReport: a valid run', () => {
  it('shows the verdict, each checker, SVG plots per f with the fault band, and the first ops', async () => {
    const h = validHistory();
    const results = await check(h);
    expect(results.valid).toBe(true);
    const html = await renderRunReport({ test: TEST, history: h, results });

    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<span class="verdict valid">Valid</span>');
    expect(html).toContain('<title>register-leader-follower-sync: valid</title>');
    for (const name of ['linearizable', 'stats', 'perf']) expect(html).toContain(`id="checker-${name}"`);
    // header facts: ops, seed, the config's choices
    expect(html).toMatch(/<span class="k">ops<\/span><span class="v">30<\/span>/);
    expect(html).toContain('<span class="v">1234</span>');
    expect(html).toContain('leader-follower-sync, 3 nodes');

    // Plots: latency, latency quantiles and throughput for read and write, each with the partition band labelled.
    const plots = svgs(html).filter((s) => s.includes('class="marks"') && !s.includes('aria-label="completions of node'));
    expect(plots).toHaveLength(6);
    for (const p of plots) {
      expect(p).toContain('>partition</text>');
      expect(p).toMatch(/mark-rect role-mark/);
    }
    expect(html).toMatch(/aria-label="latency of read over time"/);
    expect(html).toMatch(/aria-label="throughput of write over time"/);
    // The fault table, from the completions' times.
    expect(html).toMatch(/<td>partition<\/td><td class="num">0\.33 s<\/td><td class="num">0\.66 s<\/td>/);

    // No anomaly: the timeline shows the first ops, nothing outlined.
    expect(html).toContain('The first 30 operations');
    expect(html).toContain('aria-label="timeline of the first ops"');
    expect(html).not.toContain('bar highlight');
    expectInert(html);
  });
});

describe('renderRunReport: an invalid run', () => {
  it('shows the linearizability failure with its ops linked, outlined in the timeline', async () => {
    const h = invalidHistory();
    const results = await check(h);
    expect(results.valid).toBe(false);
    const lin = results.linearizable as Result;
    expect(lin.ops).toEqual([4, 5]); // the read's invocation and completion
    const html = await renderRunReport({ test: TEST, history: h, results, title: 'bad register' });

    expect(html).toContain('<h1>bad register <span class="verdict invalid">Invalid</span></h1>');
    expect(html).toContain('<p class="lead invalid">linearizable: ');
    expect(html).toMatch(/id="checker-linearizable"><h3>linearizable <span class="verdict invalid">invalid<\/span>/);
    // A measurement is not a pass: no green badge.
    expect(html).toMatch(/id="checker-stats"><h3>stats <span class="verdict measured">measured<\/span>/);
    // Cited ops are links to rows that exist.
    expect(html).toContain('<a href="#op-4">4</a>, <a href="#op-5">5</a>');
    expect(html).toContain('<tr id="op-4" class="cited">');
    expect(html).toContain('<span id="op-5"></span>');
    // The timeline outlines the read (bars are keyed by their invocation's index).
    expect(html).toContain('Operations around the first anomaly');
    expect(html).toMatch(/<g class="bar highlight" data-id="4"/);
    expect(html.match(/class="bar highlight"/g)).toHaveLength(1);
    expect(html).toContain('during partition (0.01 s–0.04 s)');
    // The whole result is there, folded away.
    expect(html).toMatch(/<details><summary>The whole result \(JSON, [^)]+\)<\/summary><pre class="json">/);
    expectInert(html);
  });

  it('escapes hostile values: op values, fs, fault names, config and results are text, never markup', async () => {
    const evil = '<script>alert(1)</script>';
    const h = history([
      ['invoke', 0, 'write', evil, 0],
      ['ok', 0, 'write', evil, 10],
      ['info', 'nemesis', `start-${evil}`, evil, 12],
      ['invoke', 1, `<img src=x onerror=alert(2)>`, evil, 20],
      ['fail', 1, `<img src=x onerror=alert(2)>`, evil, 25],
      ['invoke', 2, 'read', null, 22],
      ['ok', 2, 'read', '"><svg onload=alert(3)>', 30],
    ]);
    const results: Result = {
      valid: false,
      explanation: `${evil} happened`,
      [evil]: { valid: false, explanation: evil, ops: [5, 6], [evil]: evil, anomalies: { [evil]: [{ sentence: evil, ops: [0] }] } },
    };
    const html = await renderRunReport({ test: { ...TEST, name: evil, [evil]: evil }, history: h, results });
    expectInert(html);
    expect(html).not.toContain('<svg onload');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    // Vega drew the fault's name as a band label, escaped.
    expect(html).toMatch(/<text [^>]*>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/text>/);
  });
});

describe('renderRunReport: edge cases', () => {
  it('renders an empty history', async () => {
    const h = new History([]);
    const results = await check(h);
    const html = await renderRunReport({ test: {}, history: h, results });
    expect(html).toContain('faultline run');
    expect(html).toContain('The history has no client ops, so there is no timeline to draw.');
    expect(html).toContain('The history has no client ops: there is nothing to plot.');
    expect(html).toContain('No faults were injected');
    expect(html).toContain('No config was recorded with this run.');
    expectInert(html);
  });

  it('renders a history of nemesis ops alone, with its faults listed', async () => {
    const h = history([
      ['info', 'nemesis', 'start-partition', 'majority', 100],
      ['info', 'nemesis', 'start-partition', 'majority', 101],
      ['info', 'nemesis', 'start-kill', 'n1', 200],
      ['info', 'nemesis', 'stop-partition', null, 300],
    ]);
    const results = await compose({ stats, perf }).check(h, {});
    const html = await renderRunReport({ test: TEST, history: h, results });
    expect(html).toMatch(/<td>partition<\/td><td class="num">0\.10 s<\/td><td class="num">0\.30 s<\/td>/);
    expect(html).toContain('end (never stopped)');
    expect(html).toContain('nothing to plot');
  });

  it('renders a history without times: no plots, the timeline by position', async () => {
    const h = new History([
      { index: 0, type: 'invoke', process: 0, f: 'write', value: 1 },
      { index: 1, type: 'ok', process: 0, f: 'write', value: 1 },
      { index: 2, type: 'invoke', process: 1, f: 'read', value: null },
      { index: 3, type: 'ok', process: 1, f: 'read', value: 1 },
    ]);
    const html = await renderRunReport({ test: TEST, history: h, results: await check(h) });
    expect(html).toContain('The ops carry no times: there is nothing to plot against.');
    expect(html).toContain('order of events in the history');
    expect(svgs(html).filter((s) => s.includes('class="marks"'))).toHaveLength(0);
  });

  it('keeps a big run small: latency plots draw at most the budget, every fail and info kept', async () => {
    const rows: Row[] = [];
    for (let k = 0; k < 3000; k++) {
      const p = k % 10;
      rows.push(['invoke', p, 'read', null, k], [k % 100 === 7 ? 'fail' : 'ok', p, 'read', 0, k + 0.5 + (k % 13)]);
    }
    const h = history(rows);
    const axis = timeAxis(h);
    const plots = await renderRunPlots(h, axis, faultIntervals(h.ops), { maxPoints: 400 });
    expect(plots.warnings).toEqual([]);
    const [read] = plots.latency;
    const symbols = read.svg.match(/<g class="mark-symbol role-mark[\s\S]*?<\/g>/)![0];
    expect(symbols.match(/<path /g)).toHaveLength(400);
    expect(symbols.match(/fill="#d62728"/g)).toHaveLength(30); // every fail
    expect(read.caption).toContain('Drawn: 400 of them');
  });
});

describe('run report parts', () => {
  it('Vega-Lite compiles and renders the plots without a warning', async () => {
    const h = validHistory();
    const plots = await renderRunPlots(h, timeAxis(h), faultIntervals(h.ops));
    expect(plots.warnings).toEqual([]);
    expect(plots.latency.map((p) => p.f)).toEqual(['read', 'write']);
  });

  it('plots never fetch: a spec naming a URL renders without its data, and says why', async () => {
    const r = await vegaLiteSvg(
      { data: { url: 'http://127.0.0.1:9/x.json' }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } },
      'a plot with remote data',
    );
    expect(r.svg).toMatch(/^<svg role="img" aria-label="a plot with remote data" /);
    expect(r.warnings.join('\n')).toContain('refused to load http://127.0.0.1:9/x.json');
  });

  it('samplePoints keeps every fail and info, the slowest oks, and spreads the rest evenly', () => {
    const n = 1000;
    const outcome = new Uint8Array(n);
    const ms = new Float64Array(n).fill(1);
    outcome[10] = 1;
    outcome[500] = 2;
    ms[777] = 1000; // the slowest ok
    const chosen = Array.from(samplePoints(outcome, ms, 100));
    expect(chosen).toHaveLength(100);
    expect(chosen).toEqual([...chosen].sort((a, b) => a - b));
    expect(chosen).toContain(10);
    expect(chosen).toContain(500);
    expect(chosen).toContain(777);
    expect(chosen).toContain(0);
    expect(chosen).toContain(999);
    expect(Array.from(samplePoints(outcome, ms, 5000))).toHaveLength(n);
    // Too many non-oks: they are spread too, and the budget holds.
    expect(samplePoints(new Uint8Array(n).fill(2), ms, 100).length).toBe(75);
  });

  it('throughputBins counts completions per f and outcome in bins of completion time', () => {
    const h = history([
      ['invoke', 0, 'read', null, 0],
      ['ok', 0, 'read', 1, 50],
      ['invoke', 1, 'write', 1, 60],
      ['info', 1, 'write', 1, 1500],
      ['invoke', 0, 'read', null, 100],
      ['fail', 0, 'read', null, 1999],
      ['info', 'nemesis', 'start-kill', null, 2000],
    ]);
    const axis = timeAxis(h);
    expect(binWidth(2)).toBe(0.02);
    const bins = throughputBins(h, axis, 1);
    expect([...bins.keys()].sort()).toEqual(['read', 'write']);
    expect(Array.from(bins.get('read')!.counts[0])).toEqual([1, 0]);
    expect(Array.from(bins.get('read')!.counts[1])).toEqual([0, 1]);
    expect(Array.from(bins.get('write')!.counts[2])).toEqual([0, 1]);
  });

  it('logAxis spans whole decades past the data, with 2 and 5 ticks only when narrow', () => {
    expect(logAxis(0.3, 40)).toEqual({ domain: [0.1, 100], ticks: [0.1, 1, 10, 100] });
    expect(logAxis(1.5, 8)).toEqual({ domain: [1, 10], ticks: [1, 2, 5, 10] });
    expect(logAxis(1, 1)).toEqual({ domain: [0.1, 10], ticks: [0.1, 0.2, 0.5, 1, 2, 5, 10] });
    // Data on a decade's edge gets room past it, so its points are not cut by the frame.
    expect(logAxis(2, 1000).domain).toEqual([1, 10000]);
  });

  it('timeAxis starts at 0 for test-relative times and at the first op for wall-clock times', () => {
    expect(timeAxis(history([['invoke', 0, 'read', null, 5], ['ok', 0, 'read', 1, 10]]))).toEqual({ timed: true, origin: 0, end: 10e6 });
    const wall = timeAxis(history([['invoke', 0, 'read', null, 1.7e12], ['ok', 0, 'read', 1, 1.7e12 + 10]]));
    expect(wall.origin).toBe(1.7e18);
  });

  it('evidence: a result\'s ops, else its first anomaly\'s; nested compositions by their leaves', () => {
    expect(citedBy({ valid: false, ops: [3, 1] })).toEqual([3, 1]);
    expect(citedBy({ valid: false, anomalies: { G1c: [{ type: 'G1c', sentence: 'a cycle', ops: [7, 9] }] } })).toEqual([7, 9]);
    expect(citedBy({ valid: false, errors: [{ explanation: 'lost', ops: [2] }] })).toEqual([2]);
    expect(citedBy({ valid: true })).toEqual([]);
    const ev = evidenceOf({
      valid: false,
      stats: { valid: true, ops: [1] },
      perKey: { valid: false, a: { valid: false, ops: [8, 9] }, b: { valid: false, ops: [9] } },
    });
    expect(ev.first).toEqual({ checker: 'perKey / a', ops: [8, 9] });
    expect([...ev.byChecker.keys()]).toEqual(['perKey / a', 'perKey / b']);
    expect(ev.citing.get(9)).toEqual(['perKey / a', 'perKey / b']);
    // A parent whose children cite nothing speaks for itself.
    expect(evidenceOf({ valid: false, outer: { valid: false, ops: [4], inner: { valid: true } } }).first).toEqual({ checker: 'outer', ops: [4] });
  });

  it('timelineWindow centres on the first cited invocation and pulls in nearby cited ones', () => {
    const rows: Row[] = [];
    for (let k = 0; k < 400; k++) rows.push(['invoke', k % 5, 'read', null, k], ['ok', k % 5, 'read', 0, k + 0.5]);
    const h = history(rows);
    const w = timelineWindow(h, [200 * 2]);
    expect(w[0]).toBe(175 * 2);
    expect(w[w.length - 1]).toBe(225 * 2);
    const far = timelineWindow(h, [200 * 2, 260 * 2, 399 * 2]);
    expect(far[far.length - 1]).toBe(285 * 2); // 399 is beyond reach; 260 is pulled in
    expect(timelineWindow(h, [])).toHaveLength(50);
  });
});
