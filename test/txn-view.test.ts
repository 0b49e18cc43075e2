// The transactional checkers' HTML page (report/txn-view.ts): corpus results rendered as one
// self-contained document, with a drawing per cycle, every step's reason, the edge types, what
// is ruled out; history strings escaped; short pages for valid results.
import type { CycleStep } from '../checker/txn/explain.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTxn, type TxnCheckOptions } from '../checker/txn/index.js';
import { anomalyMeaning, mopText, renderTxnView } from '../report/txn-view.js';
import type { Result } from '../checker/types.js';
import { History } from '../histories/history.js';
import { readHistoryFile } from '../histories/read.js';
import { escapeHtml } from '../report/html.js';
import { corpusDir } from './helpers/corpus.js';
import { append, concurrent, r, sequential, txn, w } from './helpers/txn-history.js';

type Step = CycleStep;
interface Example {
  type: string;
  sentence: string;
  ops: number[];
  cycle?: { name: string; index: number }[];
  steps?: Step[];
}

const ELLE = join(corpusDir, 'elle-cli', 'histories', 'elle');

async function checkCorpus(file: string, options: Omit<TxnCheckOptions, 'workload'> & { workload: TxnCheckOptions['workload'] }) {
  const { history } = await readHistoryFile(join(ELLE, file));
  const result = await checkTxn(history, options);
  return { history, result, html: renderTxnView(history, result, options.workload) };
}

const examplesOf = (res: Result): Example[] => Object.values((res.anomalies ?? {}) as Record<string, Example[]>).flat();
const cyclesOf = (res: Result): Example[] => examplesOf(res).filter((a) => Array.isArray(a.steps) && a.steps.length > 0);
const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;
/** The page's visible text, roughly: tags dropped, entities kept. */
const textOf = (html: string): string => html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ');

/** Checks every page must pass. */
function expectWellFormed(html: string): void {
  expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
  expect(html.trimEnd().endsWith('</html>')).toBe(true);
  expect(count(html, /<html\b/g)).toBe(1);
  expect(count(html, /<body\b/g)).toBe(1);
  expect(count(html, /<\/body>/g)).toBe(1);
  // Every <svg> is closed, and nothing loads from elsewhere or runs.
  expect(count(html, /<svg\b/g)).toBe(count(html, /<\/svg>/g));
  expect(html).not.toMatch(/<script|<link\b|<img\b|<iframe\b|\bsrc=|@import|url\(\s*['"]?(https?:)?\/\//i);
  expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
  // No stray values from missing fields.
  expect(html).not.toMatch(/undefined|NaN|\[object Object\]|Infinity/);
}

/** Checks on a result's anomalies, ruled-out models and cycles. */
function expectShowsResult(html: string, res: Result): void {
  const text = textOf(html);
  for (const t of [...((res.anomalyTypes as string[]) ?? []), ...((res.allowedAnomalyTypes as string[] | undefined) ?? [])]) {
    expect(html).toContain(`id="anomaly-${t}"`);
    expect(text).toContain(escapeHtml(t));
  }
  for (const m of [...(res.not as string[]), ...(res.alsoNot as string[])]) expect(html).toContain(`<span class="model not">${escapeHtml(m)}</span>`);
  const cycles = cyclesOf(res);
  expect(count(html, /<svg[^>]*class="cycle"/g)).toBe(cycles.length);
  for (const c of cycles) {
    for (const s of c.steps!) {
      expect(html).toContain(escapeHtml(s.why));
      // The arrow's label in the drawing starts with the edge type.
      expect(html).toMatch(new RegExp(`<text[^>]*>${s.type}( · [^<]*)?</text>`));
    }
    for (const t of c.cycle!) expect(html).toContain(`data-name="${t.name}"`);
  }
  for (const a of examplesOf(res).filter((x) => !x.steps)) {
    // The sentence, capitalized, and each op it involves.
    const sentence = escapeHtml(a.sentence.slice(1));
    expect(html).toContain(sentence);
    for (const i of a.ops) expect(html).toMatch(new RegExp(`<td class="num">${i}</td>`));
  }
}

describe('renderTxnView on corpus results', () => {
  it('paper-example (list-append, strict-serializable): a G-single cycle, drawn and explained', async () => {
    const { result, html } = await checkCorpus('paper-example.edn', { workload: 'list-append' });
    expect(result.valid).toBe(false);
    expect(cyclesOf(result).length).toBeGreaterThan(0);
    expectWellFormed(html);
    expectShowsResult(html, result);
    expect(html).toContain('<span class="verdict invalid">INVALID</span>');
    expect(html).toContain('G-single');
    // Micro-ops in Elle's compact form, in the transactions' boxes.
    expect(html).toContain('>r 255 [2 3 4 5]</text>');
    expect(html).toContain('>append 256 3</text>');
    // Each edge type has its entry in the legend; the checked model is named.
    for (const t of ['ww', 'wr', 'rw', 'process', 'realtime']) expect(html).toContain(`<span class="edge e-${t}">${t}</span>`);
    expect(html).toContain('against strict-serializable');
    expect(textOf(html)).toMatch(/Not:\s+consistent-view\s+repeatable-read/);
    expect(textOf(html)).toMatch(/Also not:/);
    // The drawing is sized to its content: three boxes in a row, not a full-page canvas.
    const [, wStr, hStr] = /<svg[^>]*class="cycle"[^>]*>/.exec(html)![0].match(/width="([\d.]+)" height="([\d.]+)"/)!;
    expect(Number(wStr)).toBeGreaterThan(300);
    expect(Number(wStr)).toBeLessThan(1200);
    expect(Number(hStr)).toBeLessThan(400);
  });

  it('list-append-gh-30 (serializable): a G2-item cycle of two rw edges', async () => {
    const { result, html } = await checkCorpus('list-append-gh-30.edn', { workload: 'list-append', models: ['serializable'] });
    expect(result.anomalyTypes).toEqual(['G2-item']);
    expectWellFormed(html);
    expectShowsResult(html, result);
    expect(html).toContain('against serializable');
    expect(html).toMatch(/<text[^>]*>rw · 2<\/text>/);
    expect(html).toMatch(/<text[^>]*>rw · 4<\/text>/);
    // rw edges are dashed, in the drawing and in the legend.
    expect(html).toMatch(/<g class="edge-rw">.*?stroke-dasharray="7 4"/s);
  });

  it('rw-register: a garbage read, as its sentence and the transaction involved', async () => {
    const { result, html } = await checkCorpus('rw-register.edn', { workload: 'rw-register' });
    expect(result.anomalyTypes).toEqual(['garbage-read']);
    expectWellFormed(html);
    expectShowsResult(html, result);
    expect(count(html, /<svg[^>]*class="cycle"/g)).toBe(0);
    // No cycle: no edge legend either.
    expect(html).not.toContain('class="legend"');
    expect(html).toContain('The transaction at index 4 (process 0) read key x = 3');
    expect(html).toContain('<td class="mops">r x 3</td>');
    // The transaction's line in the file.
    expect(html).toMatch(/<td class="num">4<\/td><td class="num">4<\/td>/);
    expect(textOf(html)).toMatch(/Not:\s+read-uncommitted/);
  });

  it('a result read back from JSON renders the same page', async () => {
    const { history, result, html } = await checkCorpus('paper-example.edn', { workload: 'list-append' });
    expect(renderTxnView(history, JSON.parse(JSON.stringify(result)) as Result, 'list-append')).toBe(html);
  });

  it('renders without the history ops (a JSONL file checked by streaming)', async () => {
    const { result } = await checkCorpus('paper-example.edn', { workload: 'list-append' });
    const html = renderTxnView(new History([], { file: 'paper-example.jsonl' }), result, 'list-append');
    expectWellFormed(html);
    expectShowsResult(html, result);
    expect(html).not.toContain('not found');
  });

  it('a valid corpus result (snapshot isolation allows G2-item) is a short page', async () => {
    const { history } = await readHistoryFile(join(corpusDir, 'elle', 'histories', 'si-without-g-single.edn'));
    const result = await checkTxn(history, { workload: 'list-append', models: ['snapshot-isolation'] });
    expect(result.valid).toBe(true);
    const html = renderTxnView(history, result, 'list-append');
    expectWellFormed(html);
    expect(html).toContain('<span class="verdict valid">valid</span>');
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('Anomalies found');
    expect(html.length).toBeLessThan(8000);
  });
});

describe('renderTxnView: escaping', () => {
  const evil = '</svg><script>alert(1)</script>';

  it('a key holding </svg> and <script> is escaped in the drawing, the steps and the sentences', async () => {
    const h = concurrent(txn(append(evil, 1), append('y', 1)), txn(r(evil, []), r('y', [1])));
    const res = await checkTxn(h, { workload: 'list-append' });
    expect(res.anomalyTypes).toEqual(['G-single']);
    const html = renderTxnView(h, res, 'list-append');
    expectWellFormed(html);
    expectShowsResult(html, res);
    expect(count(html, /<svg[^>]*class="cycle"/g)).toBe(1);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.indexOf(evil)).toBe(-1);
  });

  it('strings in a non-cycle anomaly and in the file name are escaped', async () => {
    const h = new History(
      [
        { index: 0, type: 'invoke', process: 0, f: 'txn', value: [['r', evil, null]] },
        { index: 1, type: 'ok', process: 0, f: 'txn', value: [['r', evil, `<b>"'&`]] },
      ],
      { file: '<i>x</i>.jsonl' },
    );
    const res = await checkTxn(h, { workload: 'rw-register' });
    expect(res.anomalyTypes).toEqual(['garbage-read']);
    const html = renderTxnView(h, res, 'rw-register');
    expectWellFormed(html);
    expect(html).not.toMatch(/<script|<b>"|<i>x/);
    expect(html).toContain('&lt;i&gt;x&lt;/i&gt;.jsonl');
    expect(html).toContain('&lt;b&gt;\\&quot;&#39;&amp;');
  });
});

describe('renderTxnView: other shapes', () => {
  it('a valid history renders a short page: verdict, model, counts, nothing drawn', async () => {
    const h = sequential(txn(append('x', 1)), txn(r('x', [1]), append('x', 2)), txn(r('x', [1, 2])));
    const res = await checkTxn(h, { workload: 'list-append' });
    expect(res.valid).toBe(true);
    const html = renderTxnView(h, res, 'list-append');
    expectWellFormed(html);
    expect(html).toContain('<span class="verdict valid">valid</span>');
    expect(textOf(html)).toMatch(/3\s+transactions: 3 ok/);
    expect(html).not.toMatch(/<svg|Anomalies found|Not:/);
    expect(html.length).toBeLessThan(8000);
  });

  it('four or more transactions go around a circle, every one drawn and every edge labelled', async () => {
    const h = concurrent(
      txn(r('a', []), r('f', [1])),
      txn(append('a', 1), append('b', 1)),
      txn(r('b', [1]), r('c', [])),
      txn(append('c', 1), append('d', 1)),
      txn(r('d', [1]), r('e', [])),
      txn(append('e', 1), append('f', 1)),
    );
    const res = await checkTxn(h, { workload: 'list-append' });
    const [cycle] = cyclesOf(res);
    expect(cycle.steps).toHaveLength(6);
    const html = renderTxnView(h, res, 'list-append');
    expectWellFormed(html);
    expectShowsResult(html, res);
    const svgTag = /<svg[^>]*class="cycle"[^>]*>/.exec(html)![0];
    const [, width, height] = svgTag.match(/width="([\d.]+)" height="([\d.]+)"/)!.map(Number);
    expect(width).toBeGreaterThan(0);
    expect(height).toBeGreaterThan(0);
    // Box corners stay inside the drawing (translated by the group's offset).
    const [, dx, dy] = /<g transform="translate\(([\d.-]+) ([\d.-]+)\)">/.exec(html)!.map(Number);
    for (const m of html.matchAll(/<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)" rx="6"/g)) {
      const [x, y, bw, bh] = m.slice(1).map(Number);
      expect(x + dx).toBeGreaterThanOrEqual(0);
      expect(y + dy).toBeGreaterThanOrEqual(0);
      expect(x + dx + bw).toBeLessThanOrEqual(width);
      expect(y + dy + bh).toBeLessThanOrEqual(height);
    }
  });

  it('anomalies the checked model allows are listed after the prohibited ones, marked allowed', async () => {
    const h = concurrent(txn(append('x', 1), append('x', 2)), txn(r('x', [1])), txn(r('x', [1, 2])));
    const res = await checkTxn(h, { workload: 'list-append', models: ['read-uncommitted'] });
    expect(res.valid).toBe(true);
    expect(res.allowedAnomalyTypes).toEqual(['G1b']);
    const html = renderTxnView(h, res, 'list-append');
    expectWellFormed(html);
    expectShowsResult(html, res);
    expect(html).toContain('<span class="tag allowed">allowed by read-uncommitted</span>');
    expect(textOf(html)).toMatch(/Not:\s+read-committed/);
  });

  it('prohibited anomalies come in the order of anomalyTypes, with the involved transactions by role', async () => {
    const h = concurrent(txn(r('x', 1), w('x', 2)), txn(r('x', 1), w('x', 3)), txn(w('x', 1)));
    const res = await checkTxn(h, { workload: 'rw-register' });
    const types = res.anomalyTypes as string[];
    expect(types).toContain('lost-update');
    const html = renderTxnView(h, res, 'rw-register');
    expectWellFormed(html);
    expectShowsResult(html, res);
    const at = types.map((t) => html.indexOf(`<section class="anomaly" id="anomaly-${t}">`));
    expect(at.every((p) => p > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(html).toContain('<td class="mops">r x 1, w x 2</td>');
  });

  it('an unknown verdict shows the cycle search: undecided classes, components and their sizes', () => {
    const h = sequential(txn(append('x', 1)));
    const res: Result = {
      valid: 'unknown',
      models: ['serializable'],
      anomalyTypes: [],
      anomalies: {},
      anomalyCounts: {},
      not: [],
      alsoNot: [],
      txns: { count: 5000, ok: 4990, info: 10, fail: 0 },
      edges: { ww: 10, wr: 20, rw: 30, process: 0, realtime: 0 },
      explanation: 'the dependency graph has 1 cycle-bearing component (largest 3000 transactions), but the cycle search could not classify them (time ran out), so the models cannot be decided',
      cycleSearch: {
        timedOut: true,
        undetermined: [{ name: 'G2-item', size: 3000, reason: 'time ran out' }],
        components: [{ size: 3000, txns: [1, 3, 5] }, { size: 2, txns: [7, 9] }],
      },
    };
    const html = renderTxnView(h, res, 'list-append');
    expectWellFormed(html);
    expect(html).toContain('<span class="verdict unknown">unknown</span>');
    expect(html).toContain('Cycle search');
    expect(html).toContain('The dependency graph has 1 cycle-bearing component');
    expect(html).toContain('<td class="num">3000</td>');
    expect(html).toContain('1 3 5 … and 2997 more');
    expect(html).toContain('<td class="mops">7 9</td>');
  });

  it('a partial or odd result (fields missing) still renders without stray text', () => {
    const h = sequential(txn(append('x', 1)));
    const odd: Result = {
      valid: false,
      anomalyTypes: ['G0', 'mystery'],
      anomalies: { G0: [{ type: 'G0', sentence: 'odd', ops: [99], cycle: [{ name: 'T1' }, {}], steps: [{ from: 'T1', to: 'T2', type: 'ww', why: 'because' }, { from: 'T2', to: 'T1', type: 'bogus<x>', why: 'w' }] }], mystery: [null] },
    };
    const html = renderTxnView(h, odd, 'list-append');
    expectWellFormed(html);
    expect(html).toContain('because');
    expect(html).not.toContain('bogus<x>');
  });
});

describe('view helpers', () => {
  it('mopText prints micro-ops the way Elle does', () => {
    expect(mopText(['r', 255, [2, 3, 4, 5]])).toBe('r 255 [2 3 4 5]');
    expect(mopText(['append', 256, 3])).toBe('append 256 3');
    expect(mopText(['w', 'x', 1])).toBe('w x 1');
    expect(mopText(['r', 'x', null])).toBe('r x nil');
  });

  it('anomalyMeaning knows the base types and their -process / -realtime forms', () => {
    expect(anomalyMeaning('G-single')).toMatch(/exactly one rw/);
    expect(anomalyMeaning('G2-item-realtime')).toMatch(/real-time edge/);
    expect(anomalyMeaning('G1c-process')).toMatch(/process-order edge/);
    expect(anomalyMeaning('G-nonadjacent-item')).toMatch(/no two of them in a row/);
    expect(anomalyMeaning('no-such-thing')).toBe('');
    expect(anomalyMeaning('constructor')).toBe('');
  });
});
