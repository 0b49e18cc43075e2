// The run report opened in a real browser (headless Chromium, Debian's `chromium` package): it
// must load from file:// with no console error, no page error and no request but the page
// itself, and its plots and timeline must be in the DOM with a size. And as a reader sees it
// (issue 19): no NaN anywhere, the values of the cited ops written on the page (not only in
// hover tooltips), no text or point cut at a drawing's edge, no label over another label or over
// the points, table cells of numbers on one line, and the views beside Jepsen's and Porcupine's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../checker/compose.js';
import { linearizable } from '../../checker/linearizable/index.js';
import { perf } from '../../checker/perf.js';
import { setFull } from '../../checker/set.js';
import { staleness } from '../../checker/staleness.js';
import { stats } from '../../checker/stats.js';
import { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { renderRunReport } from '../../report/run-report.js';

const TEST = { name: 'register-chromium', workload: { name: 'register' }, target: { type: 'builtin', mode: 'leader-follower-sync', nodes: 3 }, seed: 7, concurrency: 4 };

/** 400 register ops over 2 s on 4 processes, a partition from 0.6 s to 1.2 s; `corrupt` makes one read impossible. */
function history(corrupt: boolean): History {
  const ops: Omit<Op, 'index'>[] = [];
  let t = 0;
  let last = 0;
  for (let k = 1; k <= 400; k++) {
    const p = k % 4;
    if (k === 120) ops.push({ type: 'info', process: 'nemesis', f: 'start-partition', value: 'majority', time: t });
    if (k === 240) ops.push({ type: 'info', process: 'nemesis', f: 'stop-partition', value: null, time: t });
    const slow = k >= 120 && k < 240 ? 8e6 : 0;
    if (k % 3 === 0) {
      ops.push({ type: 'invoke', process: p, f: 'read', value: null, time: t });
      // The corrupt read returns null, the register's state before any write: shown as "read → null".
      ops.push({ type: 'ok', process: p, f: 'read', value: corrupt && k === 300 ? null : last, time: t + 1e6 + slow });
    } else {
      ops.push({ type: 'invoke', process: p, f: 'write', value: k, time: t });
      ops.push({ type: k % 50 === 0 ? 'fail' : 'ok', process: p, f: 'write', value: k, time: t + 2e6 + slow });
      if (k % 50 !== 0) last = k;
    }
    t += 5e6;
  }
  return new History(ops.map((op, index) => ({ index, ...op }) as Op));
}

/**
 * A set run under a pause of n2 from 1 s to 2 s on 3 nodes (thread t on node t mod 3): adds of
 * 0…299, a read now and then, and a final read that misses what n2's threads added during the
 * pause: those elements are lost.
 */
function setHistory(): History {
  const ops: Omit<Op, 'index'>[] = [];
  const nodeOf = (p: number) => `n${(p % 3) + 1}`;
  const seen: number[] = [];
  let t = 0;
  for (let k = 0; k < 300; k++) {
    const p = k % 6;
    if (k === 100) ops.push({ type: 'info', process: 'nemesis', f: 'start-pause', value: ['n2'], time: t });
    if (k === 200) ops.push({ type: 'info', process: 'nemesis', f: 'stop-pause', value: null, time: t });
    const paused = k >= 100 && k < 200 && nodeOf(p) === 'n2';
    ops.push({ type: 'invoke', process: p, f: 'add', value: k, time: t, node: nodeOf(p) });
    ops.push({ type: 'ok', process: p, f: 'add', value: k, time: t + (paused ? 3e6 : 1e6), node: nodeOf(p) });
    if (!paused) seen.push(k);
    if (k % 25 === 24) {
      ops.push({ type: 'invoke', process: 9, f: 'read', value: null, time: t + 2e6, node: 'n1' });
      ops.push({ type: 'ok', process: 9, f: 'read', value: [...seen], time: t + 3e6, node: 'n1' });
    }
    t += 10e6;
  }
  return new History(ops.map((op, index) => ({ index, ...op }) as Op));
}

// What the page shows, measured in the browser (a string: the project compiles without the DOM library).
const MEASURE = `(() => {
  const box = (e) => e.getBoundingClientRect();
  const inside = (r, o) => r.left >= o.left - 1 && r.right <= o.right + 1 && r.top >= o.top - 1 && r.bottom <= o.bottom + 1;
  const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const clipped = [];
  const overlaps = [];
  for (const s of document.querySelectorAll('svg.timeline, svg.overview, svg.linearized, svg.marks')) {
    const o = box(s);
    const name = s.getAttribute('aria-label');
    const texts = [...s.querySelectorAll('text')].filter((t) => t.textContent.trim() !== '' && box(t).width > 0);
    for (const t of texts) if (!inside(box(t), o)) clipped.push(name + ': text ' + t.textContent);
    for (const p of s.querySelectorAll('.mark-symbol path')) if (!inside(box(p), o)) clipped.push(name + ': a point');
    // Labels never sit on one another (nor, in a plot, on its points).
    const labels = s.classList.contains('marks') ? [...s.querySelectorAll('.mark-text text')] : [...s.querySelectorAll('text.label, text.lin-label')];
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) if (meets(box(labels[i]), box(labels[j]))) overlaps.push(name + ': ' + labels[i].textContent + ' / ' + labels[j].textContent);
    if (s.classList.contains('marks')) for (const l of labels) for (const p of s.querySelectorAll('.mark-symbol path')) if (meets(box(l), box(p))) { overlaps.push(name + ': label ' + l.textContent + ' over a point'); break; }
    if (s.classList.contains('timeline')) {
      const bars = [...s.querySelectorAll('g.bar rect:not([fill="none"])')];
      for (const l of labels) for (const b of bars) if (!l.parentNode.contains(b) && meets(box(l), box(b))) { overlaps.push(name + ': label ' + l.textContent + ' over another bar'); break; }
    }
  }
  // A cell of numbers (indices, times) or a checker's name is wrapped when its text sits on more than one line.
  const lines = (e) => { const r = document.createRange(); r.selectNodeContents(e); return new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top))).size; };
  const wrapped = [...document.querySelectorAll('table.cited-ops td.num, table.cited-ops td.idx, table.cited-ops .nw')].filter((e) => lines(e) > 1).map((e) => e.textContent);
  return {
    text: document.body.innerText,
    plots: [...document.querySelectorAll('svg.marks')].map((s) => ({ label: s.getAttribute('aria-label'), w: Math.round(box(s).width), h: Math.round(box(s).height), symbols: s.querySelectorAll('.mark-symbol path').length })),
    timeline: [...document.querySelectorAll('svg.timeline')].map((s) => ({ w: Math.round(box(s).width), h: Math.round(box(s).height) })),
    highlighted: [...document.querySelectorAll('svg.timeline .bar.highlight')].map((g) => [...g.querySelectorAll('text.label')].map((t) => t.textContent).join('')),
    accented: [...document.querySelectorAll('svg.timeline .bar.accent')].map((g) => [...g.querySelectorAll('text.label')].map((t) => t.textContent).join('')),
    verdict: document.querySelector('h1 .verdict')?.textContent,
    badges: Object.fromEntries([...document.querySelectorAll('section.checker')].map((c) => [c.id, c.querySelector('h3 .verdict').textContent])),
    bands: document.querySelectorAll('svg.marks .mark-text text').length,
    links: [...document.querySelectorAll('a[href^="#op-"]')].map((a) => a.getAttribute('href').slice(1)),
    anchors: [...document.querySelectorAll('[id^="op-"]')].map((e) => e.id),
    sections: [...document.querySelectorAll('h2[id]')].map((h) => h.id),
    overview: document.querySelectorAll('svg.overview').length,
    linearized: [...document.querySelectorAll('svg.linearized text.lin-label')].map((t) => t.textContent),
    citedRows: [...document.querySelectorAll('table.cited-ops tbody tr')].map((tr) => tr.innerText),
    clipped, overlaps, wrapped,
  };
})()`;

interface Measured {
  text: string;
  plots: { label: string; w: number; h: number; symbols: number }[];
  timeline: { w: number; h: number }[];
  highlighted: string[];
  accented: string[];
  verdict: string;
  badges: Record<string, string>;
  bands: number;
  links: string[];
  anchors: string[];
  sections: string[];
  overview: number;
  linearized: string[];
  citedRows: string[];
  clipped: string[];
  overlaps: string[];
  wrapped: string[];
}

let browser: Browser;
let dir: string;

beforeAll(async () => {
  const { stdout } = await execa('which', ['chromium'], { reject: false });
  if (!stdout.trim()) throw new Error('chromium is not installed: `apt-get install chromium` (scripts/test.mjs installs it)');
  browser = await puppeteer.launch({ executablePath: stdout.trim(), args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  dir = mkdtempSync(join(tmpdir(), 'faultline-report-'));
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(html: string, name: string) {
  const file = join(dir, name);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  page.on('requestfailed', (r) => problems.push(`failed to load ${r.url()}: ${r.failure()?.errorText}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, requests, url };
}

describe('report.html in headless Chromium', () => {
  for (const corrupt of [false, true]) {
    it(`loads ${corrupt ? 'an invalid' : 'a valid'} run's report cleanly, with its plots drawn`, async () => {
      const h = history(corrupt);
      const results = await compose({ linearizable, stats, perf }).check(h, { model: 'cas-register' });
      expect(results.valid).toBe(!corrupt);
      const { page, problems, requests, url } = await open(await renderRunReport({ test: TEST, history: h, results }), `${corrupt ? 'invalid' : 'valid'}.html`);
      try {
        expect(problems).toEqual([]);
        // Self-contained: the page itself is the only thing fetched.
        expect(requests).toEqual([url]);
        const dom = (await page.evaluate(MEASURE)) as Measured;
        expect(dom.verdict).toBe(corrupt ? 'Invalid' : 'Valid');
        expect(dom.plots.map((p) => p.label)).toEqual([
          'latency of read over time',
          'latency of write over time',
          'latency quantiles of read over time',
          'latency quantiles of write over time',
          'throughput of read over time',
          'throughput of write over time',
        ]);
        for (const p of dom.plots) {
          expect(p.w).toBeGreaterThan(500);
          expect(p.h).toBeGreaterThan(80);
        }
        expect(dom.plots[0].symbols).toBe(h.ops.filter((o) => o.type === 'invoke' && o.f === 'read').length);
        expect(dom.bands).toBeGreaterThanOrEqual(6); // the partition's label in every plot
        expect(dom.timeline).toHaveLength(1);
        expect(dom.timeline[0].h).toBeGreaterThan(100);
        // Every link to a cited op lands on an element of the page.
        for (const id of dom.links) expect(dom.anchors).toContain(id);
        // As a reader sees it: no NaN, nothing cut at an edge, no label on another or on the points, no wrapped numbers.
        expect(dom.text).not.toMatch(/NaN/);
        expect(dom.clipped).toEqual([]);
        expect(dom.overlaps).toEqual([]);
        expect(dom.wrapped).toEqual([]);
        // The views beside Jepsen's and Porcupine's.
        expect(dom.sections).toEqual(expect.arrayContaining(['verdicts', 'timeline', 'run', 'latency', 'quantiles', 'throughput', 'nodes', 'faults', 'config']));
        expect(dom.overview).toBe(1);
        // A measurement is no pass.
        expect(dom.badges['checker-stats']).toBe('measured');
        expect(dom.badges['checker-perf']).toBe('measured');
        if (corrupt) {
          expect(dom.links.length).toBeGreaterThan(0);
          // The cited read's value is written on the page, in the drawing and the table.
          expect(dom.highlighted).toEqual(['read → null']);
          expect(dom.citedRows.some((r) => r.includes('read → null'))).toBe(true);
          // The write that left the register in the state the evidence names: outlined and listed.
          expect(dom.accented).toHaveLength(1);
          expect(dom.accented[0]).toMatch(/^write \d+$/);
          expect(dom.citedRows.some((r) => /left the cas-register in state \d+/.test(r))).toBe(true);
          // The linearized prefix on a time axis, each step with its value and the state after it.
          expect(dom.sections).toContain('linearized');
          expect(dom.linearized.some((l) => /^write \d+ {2}⇒ state \d+$/.test(l))).toBe(true);
          expect(dom.linearized.some((l) => l.startsWith('read → null  ✗ cannot follow state'))).toBe(true);
        } else {
          expect(dom.highlighted).toEqual([]);
        }
      } finally {
        await page.close();
      }
    });
  }

  it("a valid register run's staleness card shows no NaN and no pass; a set run under pause shows where the lost elements were added", async () => {
    const h = history(false);
    const reg = await compose({ linearizable, staleness, stats, perf }).check(h, { model: 'cas-register' });
    const { page: p1, problems: pr1 } = await open(await renderRunReport({ test: TEST, history: h, results: reg }), 'staleness.html');
    try {
      expect(pr1).toEqual([]);
      const dom = (await p1.evaluate(MEASURE)) as Measured;
      expect(dom.text).not.toMatch(/NaN/);
      expect(dom.badges['checker-staleness']).toBe('measured');
      expect(dom.clipped).toEqual([]);
      expect(dom.overlaps).toEqual([]);
    } finally {
      await p1.close();
    }

    const sh = setHistory();
    const results = await compose({ 'set-full': setFull, stats, perf }).check(sh, {});
    expect(results.valid).toBe(false);
    const test = { ...TEST, name: 'set-chromium', workload: { name: 'set' }, nemesis: { faults: ['pause'], interval: 1 } };
    const { page, problems } = await open(await renderRunReport({ test, history: sh, results }), 'set.html');
    try {
      expect(problems).toEqual([]);
      const dom = (await page.evaluate(MEASURE)) as Measured;
      expect(dom.text).not.toMatch(/NaN/);
      expect(dom.clipped).toEqual([]);
      expect(dom.overlaps).toEqual([]);
      expect(dom.wrapped).toEqual([]);
      expect(dom.sections).toEqual(expect.arrayContaining(['lost', 'nodes', 'run']));
      expect(dom.plots.map((p) => p.label)).toEqual(expect.arrayContaining(['set adds over time by node: kept, lost, never read', 'completions of node n2 over time']));
      // The lost adds are n2's during its pause: the table says so, node by node.
      expect(dom.text).toMatch(/n2\s+100\s+34\s+34 %/);
      expect(dom.text).toMatch(/n1\s+100\s+0\s+0 %/);
      // The per-node table names the pause on n2 only.
      expect(dom.text).toMatch(/n2\s+\d+\s+\d+\s+0\s+0\s+[\d.]+ \/ [\d.]+\s+pause 1\.\d–2\.\d s/);
    } finally {
      await page.close();
    }
  });
});
