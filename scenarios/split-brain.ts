// `faultline test --scenario split-brain`: the playbook's vignette replayed. Two sites — site A
// holds n1 (where the primary starts), site B holds n2 and n3 — and clients in both (two per
// node; a client lives in its node's site). After 2 s of writes a partition cuts the sites apart
// for the scenario's time (--time-limit, default 20 s) while clients on both sides go on writing
// per-user sets; then the partition heals, the store merges, and every user's set is read on
// every node. Both sides elect a primary:
//
// - the built-in multi-primary mode (multi-leader-vv, or --mode multi-leader-lww): every node
//   takes writes; after the heal vv keeps both sides' concurrent writes as siblings (sets unite),
//   lww keeps the newer stamp per key;
// - Redis with Sentinel: site A's n1 stays primary (it never learns it was replaced), site B's
//   Sentinels elect n2 or n3; when n1 rejoins, Sentinel demotes it and what it took is discarded.
//
// The figures (scenarios/split-brain-measure.ts): writes per side, conflicting keys,
// acknowledged writes lost, and for vv the conflicting keys every node holds as siblings.
import { join } from 'node:path';
import { InputError } from '../histories/errors.js';
import { readHistoryFile } from '../histories/read.js';
import { networkAvailable } from '../control/network.js';
import { complete } from '../nemesis/grudge.js';
import { resolveConfig } from '../runner/config.js';
import { combineExitCodes } from '../checker/check-file.js';
import { run, type ExitCode } from '../runner/run.js';
import { METRICS_FILE, readMetricsFile } from '../metrics/sampler.js';
import type { Target } from '../targets/types.js';
import { sleep } from '../workloads/generator/index.js';
import { escapeHtml as esc } from '../report/html.js';
import { measureSplitBrain, type Sites, type SplitBrainFigures } from './split-brain-measure.js';
import type { ScenarioContext, ScenarioOutcome, ScenarioRun } from './types.js';

export const SITES: Sites = { a: ['n1'], b: ['n2', 'n3'] };
const BEFORE_SECONDS = 2;
const USERS = 200;
const BUILTIN_MODES = ['multi-leader-vv', 'multi-leader-lww'];

interface SystemRun {
  system: string;
  dir: string;
  exitCode: ExitCode;
  figures?: SplitBrainFigures;
  error?: string;
}

function systems(ctx: ScenarioContext, redis: true | string): { kinds: ('builtin' | 'redis')[]; notes: string[] } {
  if (ctx.target !== undefined && ctx.target !== 'builtin' && ctx.target !== 'redis') throw new InputError(`--scenario split-brain runs the built-in store or redis, not --target ${ctx.target}`);
  if (ctx.mode !== undefined && !BUILTIN_MODES.includes(ctx.mode)) throw new InputError(`--scenario split-brain needs a multi-primary mode of the built-in store (${BUILTIN_MODES.join(', ')}), not --mode ${ctx.mode}`);
  if (ctx.mode !== undefined && ctx.target === 'redis') throw new InputError('--scenario split-brain: --mode is for the built-in store, not redis');
  if (ctx.target === 'redis') {
    if (redis !== true) throw new InputError(redis);
    return { kinds: ['redis'], notes: [] };
  }
  if (ctx.target === 'builtin' || ctx.mode !== undefined) return { kinds: ['builtin'], notes: [] };
  return redis === true ? { kinds: ['builtin', 'redis'], notes: [] } : { kinds: ['builtin'], notes: [`redis left out: ${redis}`] };
}

export async function splitBrain(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const net = await networkAvailable();
  if (net !== true) throw new InputError(`--scenario split-brain partitions the nodes, which needs network namespaces, but ${net}`);
  const redis = ctx.target === 'builtin' || ctx.mode !== undefined ? 'not asked for' : await (await import('../targets/redis/index.js')).redisAvailable();
  const { kinds, notes } = systems(ctx, redis);
  for (const n of notes) ctx.log(`split-brain: ${n}`);
  const partitionSeconds = ctx.timeLimit ?? 20;
  const grudge = complete([[...SITES.a], [...SITES.b]]);
  const runs: ScenarioRun[] = [];
  const results: SystemRun[] = [];
  for (const [i, kind] of kinds.entries()) {
    if (ctx.signal?.aborted) break;
    const mode = kind === 'builtin' ? (ctx.mode ?? 'multi-leader-vv') : undefined;
    const system = mode ?? 'redis';
    ctx.log(`split-brain: ${system}: ${BEFORE_SECONDS} s of writes, then site A (${SITES.a.join(', ')}) cut from site B (${SITES.b.join(', ')}) for ${partitionSeconds} s`);
    const config = resolveConfig(
      {
        name: `split-brain-${system}`,
        store: ctx.store,
        seed: (ctx.seed + i) >>> 0,
        target: { type: kind, ...(mode ? { mode } : {}), nodes: 3, network: 'netns' },
        workload: { name: 'set', options: { keys: USERS } },
        rate: 100,
        concurrency: 6,
        opTimeout: 2,
        timeLimit: BEFORE_SECONDS + partitionSeconds,
        // Redis: Sentinel demotes the returning old primary 8-10 s after the heal.
        quiesce: kind === 'redis' ? 12 : 3,
        nemesis: { faults: ['partition'] },
      },
      'scenario split-brain',
    );
    const outcome = await run(config, {
      signal: ctx.signal,
      log: ctx.log,
      version: ctx.version,
      nemesis: [sleep(BEFORE_SECONDS * 1e9), { f: 'start-partition', value: grudge }],
      onTarget: (t: Target) => (t as Target & { placeClientsInSites?: () => void }).placeClientsInSites?.(),
    });
    runs.push({ label: system, outcome });
    const { history } = await readHistoryFile(join(outcome.dir, 'history.jsonl'));
    const last = readMetricsFile(join(outcome.dir, METRICS_FILE))?.samples.at(-1);
    const figures = measureSplitBrain(history.ops, SITES, last);
    results.push(typeof figures === 'string' ? { system, dir: outcome.dir, exitCode: outcome.exitCode, error: figures } : { system, dir: outcome.dir, exitCode: outcome.exitCode, figures });
  }
  const exitCode = combineExitCodes(results.map((r) => (r.error ? 3 : r.exitCode))) as ExitCode;
  const lines = results.map((r) => `  ${line(r)}`);
  const lostSomewhere = results.filter((r) => (r.figures?.lost.total ?? 0) > 0).map((r) => r.system);
  const verdict =
    `a ${partitionSeconds} s partition between site A (${SITES.a.join(', ')}) and site B (${SITES.b.join(', ')}), both sides writing: ` +
    (lostSomewhere.length ? `acknowledged writes lost on ${lostSomewhere.join(', ')}` : 'no acknowledged write lost');
  return {
    name: 'split-brain',
    exitCode,
    verdict,
    lines: [...lines, ...notes.map((n) => `  (${n})`)],
    runs,
    results: { scenario: 'split-brain', sites: SITES, partitionSeconds, users: USERS, systems: results },
    sections: [section(results, partitionSeconds, notes)],
  };
}

const nf = new Intl.NumberFormat('en-US');

function line(r: SystemRun): string {
  if (!r.figures) return `${r.system}: not measured — ${r.error}`;
  const f = r.figures;
  const wait = f.firstWrite.b !== undefined ? ` (site B's first ${f.firstWrite.b.toFixed(1)} s after the cut)` : ' (none on site B)';
  const sib = f.siblings ? `, ${nf.format(f.siblings.conflictingKept)} of them kept as siblings on every node` : '';
  const lost = f.lost.total === 0 ? 'none lost' : `${nf.format(f.lost.total)} acknowledged writes lost (site A ${nf.format(f.lost.a)}, site B ${nf.format(f.lost.b)}${f.lost.before ? `, before the cut ${nf.format(f.lost.before)}` : ''}) in ${nf.format(f.lost.keys)} keys`;
  return `${r.system}: writes during the partition: site A ${nf.format(f.writes.a)}, site B ${nf.format(f.writes.b)}${wait}; conflicting keys ${nf.format(f.conflictingKeys)}${sib}; ${lost}`;
}

function section(results: SystemRun[], partitionSeconds: number, notes: string[]): string {
  const head =
    '<tr><th>system</th><th class="num">writes, site A</th><th class="num">writes, site B</th><th class="num">site B\'s first write after the cut</th><th class="num">unknown (info)</th>' +
    '<th class="num">conflicting keys</th><th class="num">kept as siblings</th><th class="num">acknowledged writes lost</th><th class="num">keys with a lost write</th></tr>';
  const rows = results.map((r) => {
    if (!r.figures) return `<tr><td>${esc(r.system)}</td><td colspan="8">${esc(r.error ?? '')}</td></tr>`;
    const f = r.figures;
    return (
      `<tr><td>${esc(r.system)}</td><td class="num">${nf.format(f.writes.a)}</td><td class="num">${nf.format(f.writes.b)}</td>` +
      `<td class="num">${f.firstWrite.b === undefined ? 'none' : `${f.firstWrite.b.toFixed(1)} s`}</td><td class="num">${nf.format(f.unknown.a + f.unknown.b)}</td>` +
      `<td class="num">${nf.format(f.conflictingKeys)} of ${nf.format(f.keys)}</td><td class="num">${f.siblings ? nf.format(f.siblings.conflictingKept) : '—'}</td>` +
      `<td class="num">${nf.format(f.lost.total)}${f.lost.total ? ` (A ${nf.format(f.lost.a)}, B ${nf.format(f.lost.b)})` : ''}</td><td class="num">${nf.format(f.lost.keys)}</td></tr>`
    );
  });
  return (
    '<h2 id="split-brain">Split brain, replayed</h2>' +
    `<p>Site A (${esc(SITES.a.join(', '))}) and site B (${esc(SITES.b.join(', '))}), two clients per node writing per-user sets (${USERS} users). After ${BEFORE_SECONDS} s a partition ` +
    `cuts the sites apart for ${partitionSeconds} s; a client reaches only its own site. Then the heal, the merge, and a read of every user's set on every node. ` +
    'Writes per side are acknowledged adds invoked during the partition; a conflicting key took acknowledged writes on both sides; a write is lost when no final read of its key holds it.</p>' +
    `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>` +
    (notes.length ? `<p class="muted">${esc(notes.join('; '))}</p>` : '')
  );
}
