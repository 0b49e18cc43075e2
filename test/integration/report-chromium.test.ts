// The run report opened in a real browser (headless Chromium, Debian's `chromium` package): it
// must load from file:// with no console error, no page error and no request but the page
// itself, and its plots and timeline must be in the DOM with a size.
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
      ops.push({ type: 'ok', process: p, f: 'read', value: corrupt && k === 300 ? -1 : last, time: t + 1e6 + slow });
    } else {
      ops.push({ type: 'invoke', process: p, f: 'write', value: k, time: t });
      ops.push({ type: k % 50 === 0 ? 'fail' : 'ok', process: p, f: 'write', value: k, time: t + 2e6 + slow });
      if (k % 50 !== 0) last = k;
    }
    t += 5e6;
  }
  return new History(ops.map((op, index) => ({ index, ...op }) as Op));
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
        const dom = await page.evaluate(() => {
          // (the project compiles without the DOM library: the little of it used here, typed locally)
          interface El {
            id: string;
            textContent: string | null;
            getAttribute(name: string): string | null;
            getBoundingClientRect(): { width: number; height: number };
            querySelectorAll(selector: string): ArrayLike<El> & Iterable<El>;
            querySelector(selector: string): El | null;
          }
          const document = (globalThis as unknown as { document: El }).document;
          const size = (el: El) => {
            const r = el.getBoundingClientRect();
            return { w: Math.round(r.width), h: Math.round(r.height) };
          };
          return {
            plots: [...document.querySelectorAll('svg.marks')].map((s) => ({ label: s.getAttribute('aria-label'), ...size(s), symbols: s.querySelectorAll('.mark-symbol path').length })),
            timeline: [...document.querySelectorAll('svg.timeline')].map(size),
            highlighted: document.querySelectorAll('svg.timeline .bar.highlight').length,
            verdict: document.querySelector('h1 .verdict')?.textContent,
            bands: document.querySelectorAll('svg.marks .mark-text text').length,
            links: [...document.querySelectorAll('a[href^="#op-"]')].map((a) => a.getAttribute('href')!.slice(1)),
            anchors: [...document.querySelectorAll('[id^="op-"]')].map((e) => e.id),
          };
        });
        expect(dom.verdict).toBe(corrupt ? 'Invalid' : 'Valid');
        expect(dom.plots.map((p) => p.label)).toEqual([
          'latency of read over time',
          'latency of write over time',
          'throughput of read over time',
          'throughput of write over time',
        ]);
        for (const p of dom.plots) {
          expect(p.w).toBeGreaterThan(500);
          expect(p.h).toBeGreaterThan(80);
        }
        expect(dom.plots[0].symbols).toBe(h.ops.filter((o) => o.type === 'invoke' && o.f === 'read').length);
        expect(dom.bands).toBeGreaterThanOrEqual(4); // the partition's label in every plot
        expect(dom.timeline).toHaveLength(1);
        expect(dom.timeline[0].h).toBeGreaterThan(100);
        expect(dom.highlighted).toBe(corrupt ? 1 : 0);
        // Every link to a cited op lands on an element of the page.
        for (const id of dom.links) expect(dom.anchors).toContain(id);
        if (corrupt) expect(dom.links.length).toBeGreaterThan(0);
      } finally {
        await page.close();
      }
    });
  }
});
