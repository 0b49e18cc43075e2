// A scenario's report.html: its verdict and figures (the scenario's own sections), then each run
// it made with a link to that run's report. One self-contained page, as every report.
import { join, relative } from 'node:path';
import { escapeHtml as esc, page } from '../report/html.js';
import { VERDICT_CSS } from '../report/run-verdicts.js';
import type { ScenarioOutcome } from './types.js';

const WORDS = ['valid', 'invalid', 'unknown', 'error'] as const;

export async function renderScenarioReport(o: ScenarioOutcome, dir: string): Promise<string> {
  const word = WORDS[o.exitCode];
  const cls = word === 'error' ? 'unknown' : word;
  const runs = o.runs.map((r) => {
    const link = relative(dir, join(r.outcome.dir, 'report.html'));
    const v = r.outcome.results.valid;
    const verdict = v === true ? 'valid' : v === false ? 'invalid' : 'unknown';
    return `<tr><td>${esc(r.label)}</td><td><span class="verdict ${verdict}">${verdict}</span></td><td class="num">${r.outcome.results.invocations}</td><td><a href="${esc(link)}">${esc(link)}</a></td></tr>`;
  });
  const body = [
    `<h1>scenario ${esc(o.name)} <span class="verdict ${cls}">${esc(word)}</span></h1>`,
    `<p class="lead">${esc(o.verdict)}.</p>`,
    ...o.sections,
    '<h2 id="runs">The runs</h2>',
    '<p class="muted">Each is an ordinary run in the store, with its own report: history, verdicts, metrics and faults.</p>',
    `<table><thead><tr><th>run</th><th>its checkers</th><th class="num">ops</th><th>report</th></tr></thead><tbody>${runs.join('')}</tbody></table>`,
  ];
  return page({ title: `scenario ${o.name}: ${word}`, body: body.join('\n'), css: VERDICT_CSS });
}
