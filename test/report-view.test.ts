// report/ primitives (HTML page, SVG builders, the process timeline) and the linearizability
// failure view built on them.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../checker/linearizable/index.js';
import { pathXs, renderLinearizableView } from '../report/linearizable-view.js';
import { parseHistory, readHistoryFile } from '../histories/read.js';
import { escapeHtml, page } from '../report/html.js';
import { group, rect, svg, text, title } from '../report/svg.js';
import { processTimeline, type TimelineBar, timelineLegend } from '../report/timeline.js';
import { corpusDir } from './helpers/corpus.js';

const jl = (...ops: object[]) => ops.map((o) => JSON.stringify(o)).join('\n') + '\n';
const op = (type: string, process: number, f: string, value: unknown, time?: number) => ({ type, process, f, value, ...(time === undefined ? {} : { time }) });

/** write 1 completes; then a write of 2 and a read returning 3 run concurrently: 3 was never written. */
function badRegister(readValue: unknown = 3, written: unknown = 2) {
  return parseHistory(
    jl(
      op('invoke', 0, 'write', 1, 0),
      op('ok', 0, 'write', 1, 10e6),
      op('invoke', 1, 'write', written, 20e6),
      op('invoke', 2, 'read', null, 22e6),
      op('ok', 2, 'read', readValue, 30e6),
      op('ok', 1, 'write', written, 35e6),
    ),
    'jsonl',
    'bad-register.jsonl',
  );
}

interface FailureShape {
  op: { index: number; completionIndex: number };
}

describe('report/html and report/svg', () => {
  it('page() is a complete HTML5 document with the title escaped', () => {
    const html = page({ title: 'a <b> & "c"', body: '<p>x</p>', css: 'p { color: red }' });
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<title>a &lt;b&gt; &amp; &quot;c&quot;</title>');
    expect(html).toContain('p { color: red }');
    expect(html).not.toMatch(/<script|<link|src=/i);
  });

  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('SVG helpers round numbers, escape attributes and text, and skip absent attributes', () => {
    const s = svg(100.123, 50, [
      group({ class: 'g' }, [title('<tip>'), rect({ x: 1.23456, y: -0.001, width: 3, height: 4, fill: 'a"b', stroke: undefined, hidden: false })]),
      text({ x: 2 }, '<script>alert(1)</script>'),
    ]);
    expect(s).toContain('viewBox="0 0 100.12 50"');
    expect(s).toContain('<rect x="1.23" y="0" width="3" height="4" fill="a&quot;b"/>');
    expect(s).toContain('<title>&lt;tip&gt;</title>');
    expect(s).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(s).not.toContain('<script');
    expect(s).not.toMatch(/stroke=|hidden=/);
  });
});

describe('processTimeline', () => {
  const bars: TimelineBar[] = [
    { id: 0, lane: 'process 0', start: 0, end: 4, outcome: 'ok', label: 'write 1', tooltip: 'op 0' },
    { id: 1, lane: 'process 1', start: 2, end: null, outcome: 'unknown', label: 'write 2', tooltip: 'op 1: info' },
    { id: 2, lane: 'process 2', start: 3, end: 6, outcome: 'fail', label: 'cas', tooltip: 'op 2' },
    { id: 3, lane: 'process 10', start: 5, end: 8, outcome: 'ok', label: 'read → 1', tooltip: 'op 3', highlight: true },
  ];
  const rectOf = (out: string, id: number) => {
    const m = new RegExp(`data-id="${id}"[^>]*>(?:<title>[^<]*</title>)?<rect x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)"`).exec(out);
    expect(m, `bar ${id}`).not.toBeNull();
    return { x: Number(m![1]), width: Number(m![2]) };
  };

  it('draws open-ended bars to the right edge, dashed and hatched, and lanes in numeric order', () => {
    const out = processTimeline({ bars, axis: 'position', width: 800 });
    expect(out.startsWith('<svg')).toBe(true);
    const open = rectOf(out, 1);
    expect(open.x + open.width).toBeGreaterThan(780);
    expect(rectOf(out, 0).x + rectOf(out, 0).width).toBeLessThan(open.x + open.width);
    expect(out).toMatch(/data-id="1" data-outcome="unknown"><title>op 1: info<\/title><rect[^>]*fill="url\(#tl-hatch\)"[^>]*stroke-dasharray/);
    expect(out).toContain('<pattern id="tl-hatch"');
    expect(out).toContain('class="bar highlight" data-id="3"');
    expect(out).toContain('history position');
    expect(out.indexOf('>process 2<')).toBeLessThan(out.indexOf('>process 10<'));
  });

  it('shows a ms scale on a time axis and cuts bars at the window', () => {
    const timed = bars.map((b) => ({ ...b, start: b.start * 1e6, end: b.end === null ? null : b.end * 1e6 }));
    const out = processTimeline({ bars: timed, axis: 'time', from: 3e6, to: 7e6 });
    expect(out).toContain('(ms)');
    expect(out).toMatch(/>4(\.0+)?</);
    // bar 0 (0–4 ms) starts before the window: it is cut at the plot's left edge
    expect(rectOf(out, 0).x).toBeCloseTo(120, 0);
  });

  it('joins path points in order above the bars, numbered, and ends at a missing bar with a cross', () => {
    const out = processTimeline({
      bars,
      axis: 'position',
      path: { points: [{ id: 0, x: 1 }, { id: 1, x: 3, label: '7' }, { id: 99, x: 0 }], missing: { id: 3, text: 'op 3 <cannot>' } },
    });
    const pathAt = out.indexOf('class="path"');
    expect(pathAt).toBeGreaterThan(out.lastIndexOf('class="bar'));
    expect(out).toMatch(/<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"[^>]*stroke="#1f5fbf"/);
    expect(out).toContain('>1</text>');
    expect(out).toContain('>7</text>');
    expect(out).toContain('class="missing"');
    expect(out).toContain('op 3 &lt;cannot&gt;');
  });

  it('has an HTML legend', () => {
    const legend = timelineLegend({ highlight: 'the failing op', path: 'the order', missing: 'stops' });
    expect(legend).toMatch(/^<ul class="legend">/);
    for (const t of ['ok:', 'fail:', 'unknown', 'the failing op', 'the order', 'stops']) expect(legend).toContain(t);
  });
});

describe('pathXs', () => {
  it('places each step inside its interval, strictly increasing', () => {
    const iv = [{ start: 0, end: 10 }, { start: 2, end: 3 }, { start: 1, end: Infinity }, { start: 5, end: 6 }];
    const xs = pathXs(iv, 8, 0.05);
    xs.forEach((x, j) => {
      expect(x).toBeGreaterThanOrEqual(iv[j].start);
      expect(x).toBeLessThanOrEqual(Math.min(iv[j].end, 8));
      if (j > 0) expect(x).toBeGreaterThan(xs[j - 1]);
    });
  });
});

describe('renderLinearizableView', () => {
  it('renders an invalid cas-register history: explanation, timeline, failing op highlighted', async () => {
    const h = badRegister();
    const r = await checkLinearizable(h, 'cas-register', { init: 0 });
    expect(r.valid).toBe(false);
    const failure = r.failure as FailureShape;
    const html = renderLinearizableView(h, r);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).toContain(escapeHtml(r.explanation!));
    expect(html).toContain(`op ${failure.op.index}`);
    expect(html).toContain(`class="bar highlight" data-id="${failure.op.index}"`);
    expect(html.match(/class="bar highlight"/g)).toHaveLength(1);
    expect(html).toContain('(ms)'); // the history has times
    expect(html).toContain('class="missing"'); // the order stops short of the failing op
    expect(html).toContain('class="failing"'); // and the table says so
    expect(html).not.toMatch(/<script/i);
  });

  it('escapes op values: a value holding <script> stays text', async () => {
    const evil = '<script>alert(1)</script>';
    const h = badRegister(`${evil}!`, evil);
    const r = await checkLinearizable(h, 'cas-register', { init: 0 });
    expect(r.valid).toBe(false);
    const html = renderLinearizableView(h, r);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;');
  });

  it('places ops by history position when the history has no times', async () => {
    const h = parseHistory(
      jl(op('invoke', 0, 'write', 1), op('ok', 0, 'write', 1), op('invoke', 1, 'write', 2), op('invoke', 2, 'read', null), op('ok', 2, 'read', 3), op('info', 1, 'write', 2)),
      'jsonl',
    );
    const r = await checkLinearizable(h, 'cas-register', { init: 0 });
    expect(r.valid).toBe(false);
    const html = renderLinearizableView(h, r);
    expect(html).toContain('order of events in the history');
    expect(html).toMatch(/data-id="2" data-outcome="unknown"/); // the info write runs on
  });

  it('says so, without a timeline, for valid and unknown results', async () => {
    const h = parseHistory(jl(op('invoke', 0, 'write', 1), op('ok', 0, 'write', 1), op('invoke', 1, 'read', null), op('ok', 1, 'read', 1)), 'jsonl');
    const r = await checkLinearizable(h, 'cas-register', { init: 0 });
    expect(r.valid).toBe(true);
    const valid = renderLinearizableView(h, r);
    expect(valid).toContain('Linearizable');
    expect(valid).not.toContain('<svg');
    const unknown = renderLinearizableView(h, { valid: 'unknown', model: 'cas-register', explanation: 'gave up after <1 s>' });
    expect(unknown).toContain('Unknown');
    expect(unknown).toContain('gave up after &lt;1 s&gt;');
    expect(unknown).not.toContain('<svg');
  });

  it('renders the corpus history rethink-fail-minimal', async () => {
    const file = join(corpusDir, 'knossos/data/cas-register/bad/rethink-fail-minimal.edn');
    const { history } = await readHistoryFile(file);
    const r = await checkLinearizable(history, 'cas-register', { init: 0 });
    expect(r.valid).toBe(false);
    const failure = r.failure as FailureShape;
    const html = renderLinearizableView(history, r);
    expect(html).toContain('<svg');
    expect(html).toContain(`class="bar highlight" data-id="${failure.op.index}"`);
    expect(html).toContain('read → 3');
    expect(html).toContain(escapeHtml(r.explanation!));
  });
});
