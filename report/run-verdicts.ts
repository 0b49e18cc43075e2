// The run report's verdict sections: one per checker, with its validity, its sentence, its key
// figures, the anomalies it lists and the ops it cites (as links to the cited-ops table), and
// its whole result as JSON folded away. Generic over results: it knows no checker by name.
import type { Result } from '../checker/types.js';
import { escapeHtml as esc } from './html.js';
import { measurementOf } from './measurements.js';
import { anomaliesOf, type CheckerResult, type Evidence, isResult, verdictWord } from './run-evidence.js';

/** Cited ops listed as links in one section; the rest are counted. */
const MAX_LINKS = 40;
/** Characters of a result's JSON shown before it is cut (the full result is in results.json). */
const MAX_JSON = 100_000;
const MAX_FIGURE_ROWS = 24;

export const VERDICT_CSS = `
.checker { border: 1px solid #e3e3e6; border-radius: 6px; padding: 4px 14px 10px; margin: 10px 0; }
.checker.nested { margin-left: 24px; }
.checker h3 { font-size: 15px; margin: 8px 0 4px; display: flex; align-items: center; gap: 10px; }
.checker .verdict { font-size: 12px; }
.verdict.measured { background: #e4ecf7; color: #1f4e8c; }
.checker p.measure { font-size: 15px; font-weight: 600; margin: 4px 0; }
.checker table { font-size: 13px; }
.kv { display: flex; flex-wrap: wrap; gap: 4px 24px; list-style: none; padding: 0; margin: 6px 0; }
.kv li { display: flex; flex-direction: column; max-width: 100%; }
.kv .k { font-size: 12px; color: #6e6e73; }
.kv .v { font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.tables { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
.anomalies { margin: 6px 0; padding-left: 20px; }
.anomalies li { margin: 3px 0; }
.cites a, .anomalies a { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
details > summary { cursor: pointer; color: #3a3a3c; margin: 6px 0; }
pre.json { background: #f7f7f9; border: 1px solid #e3e3e6; border-radius: 4px; padding: 8px; overflow: auto; max-height: 480px; font-size: 12px; }
`;

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

function scalarText(v: unknown): string | undefined {
  // A quantile of nothing is NaN in memory and null in results.json: either way there is no figure.
  if (typeof v === 'number') return Number.isFinite(v) ? nf.format(v) : '—';
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 199)}…` : v;
  if (typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return undefined;
}

function isScalar(v: unknown): boolean {
  return v === null || ['number', 'string', 'boolean'].includes(typeof v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Links to the cited-ops table for the indices in `ops` that it lists; plain numbers for the rest. */
export function opLinks(ops: readonly number[], anchored: ReadonlySet<number>): string {
  const shown = ops.slice(0, MAX_LINKS).map((i) => (anchored.has(i) ? `<a href="#op-${i}">${i}</a>` : String(i)));
  const more = ops.length > MAX_LINKS ? ` … and ${ops.length - MAX_LINKS} more` : '';
  return shown.join(', ') + more;
}

/**
 * Key figures: scalar fields as rows; a record of scalars on one row; a record of records of
 * scalars (e.g. latency per f) as a small table of its own. Anything else is left to the JSON.
 */
function keyFigures(r: Result, skip: ReadonlySet<string> = new Set()): string {
  const rows: string[] = [];
  const tables: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (k === 'valid' || k === 'explanation' || k === 'ops' || skip.has(k) || isResult(v)) continue;
    if (rows.length >= MAX_FIGURE_ROWS) break;
    const s = scalarText(v);
    if (s !== undefined) {
      rows.push(kv(k, s));
    } else if (Array.isArray(v) && v.length > 0 && v.length <= 20 && v.every(isScalar)) {
      rows.push(kv(k, v.map((x) => scalarText(x)).join(', ')));
    } else if (isRecord(v)) {
      const entries = Object.entries(v);
      if (v.count === 0 && entries.every(([, x]) => isScalar(x))) {
        rows.push(kv(k, 'none measured (count 0)'));
      } else if (entries.length > 0 && entries.length <= 16 && entries.every(([, x]) => isScalar(x))) {
        rows.push(kv(k, entries.map(([a, x]) => `${a} ${scalarText(x)}`).join(' · ')));
      } else if (entries.length > 0 && entries.length <= 16 && entries.every(([, x]) => isRecord(x) && Object.values(x).every(isScalar))) {
        tables.push(matrix(k, entries as [string, Record<string, unknown>][]));
      }
    }
  }
  const main = rows.length ? `<ul class="kv">${rows.join('')}</ul>` : '';
  return main + (tables.length ? `<div class="tables">${tables.join('')}</div>` : '');
}

function kv(k: string, v: string): string {
  return `<li><span class="k">${esc(k)}</span><span class="v">${esc(v)}</span></li>`;
}

function matrix(name: string, entries: [string, Record<string, unknown>][]): string {
  const cols = [...new Set(entries.flatMap(([, r]) => Object.keys(r)))].slice(0, 12);
  const head = `<tr><th>${esc(name)}</th>${cols.map((c) => `<th class="num">${esc(c)}</th>`).join('')}</tr>`;
  const body = entries
    .map(([k, r]) => `<tr><th>${esc(k)}</th>${cols.map((c) => `<td class="num">${esc(scalarText(r[c]) ?? '')}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="figures"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function anomalyList(r: Result, anchored: ReadonlySet<number>): string {
  const groups = anomaliesOf(r, 12);
  if (!groups.length) return '';
  const items = groups.flatMap(({ field, anomalies }) =>
    anomalies.map((a) => {
      const type = a.type ? `<strong>${esc(a.type)}</strong> ` : `<span class="muted">${esc(field)}:</span> `;
      const text = a.text ? esc(a.text) : '';
      const ops = a.ops?.length ? ` <span class="muted">ops</span> ${opLinks(a.ops, anchored)}` : '';
      return `<li>${type}${text}${ops}</li>`;
    }),
  );
  return `<ul class="anomalies">${items.join('')}</ul>`;
}

function jsonBlock(r: Result): string {
  let text: string;
  try {
    text = JSON.stringify(r, null, 2) ?? 'undefined';
  } catch (e) {
    text = `(this result cannot be shown as JSON: ${(e as Error).message})`;
  }
  const size = text.length;
  const cut = size > MAX_JSON ? `${text.slice(0, MAX_JSON)}\n… (cut at ${nf.format(MAX_JSON)} of ${nf.format(size)} characters: the whole result is in results.json)` : text;
  const kb = size >= 1024 ? `${nf.format(Math.round(size / 102.4) / 10)} KB` : `${size} characters`;
  return `<details><summary>The whole result (JSON, ${kb})</summary><pre class="json">${esc(cut)}</pre></details>`;
}

export function sectionId(name: string): string {
  return `checker-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
}

/** One section per checker result, nested compositions indented under their parent. */
export function renderVerdicts(checkers: CheckerResult[], evidence: Evidence, anchored: ReadonlySet<number>): string {
  if (checkers.length === 0) return '<p>The results name no checkers.</p>';
  return checkers
    .map(({ name, result, depth }) => {
      // A measurement's `valid` is not a pass: it gets no green badge, and its figure leads.
      const measure = result.valid === true ? measurementOf(name) : undefined;
      const word = measure ? 'measured' : verdictWord(result.valid);
      const explanation =
        (measure && typeof result.summary === 'string' ? `<p class="measure">${esc(result.summary)}</p>` : '') +
        (measure ? `<p class="muted">${esc(measure)}</p>` : '') +
        (typeof result.explanation === 'string' ? `<p>${esc(result.explanation)}</p>` : '');
      const cited = evidence.byChecker.get(name);
      const cites = cited?.length ? `<p class="cites"><span class="muted">Cited ops:</span> ${opLinks(cited, anchored)}</p>` : '';
      return (
        `<section class="checker${depth ? ' nested' : ''}" id="${esc(sectionId(name))}">` +
        `<h3>${esc(name)} <span class="verdict ${word}">${word}</span></h3>` +
        explanation + cites + anomalyList(result, anchored) + keyFigures(result, measure ? new Set(['summary']) : undefined) + jsonBlock(result) +
        '</section>'
      );
    })
    .join('\n');
}
