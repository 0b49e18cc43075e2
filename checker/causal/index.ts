// Causal consistency of read/write register histories, after Bouajjani, Enea, Guerraoui & Hamza,
// "On Verifying Causal Consistency" (POPL 2017): CC (causal consistency), CCv (causal convergence)
// and CM (causal memory), each decided by the absence of the paper's bad patterns, in polynomial
// time, for histories whose written values are unique per key. docs/causal.md has the definitions.
import { InputError } from '../../histories/errors.js';
import type { History } from '../../histories/history.js';
import { nothingToCheck } from '../relevant.js';
import type { Checker, CheckContext, Result, UnknownReason, Validity } from '../types.js';
import { chainSteps, compress, joinPaths, opEvidence, sentence, type ChainStep, type OpEvidence } from './describe.js';
import { componentsOf, coPath, topoOrder, vectorClocks, WriterSlots, type Clocks } from './order.js';
import { ccPatterns, cmPatterns, cyclicCF, cyclicCO, thinAirReads, type Found, type Pattern } from './patterns.js';
import { prepare, type Prepared } from './prepare.js';

export type Variant = 'cc' | 'ccv' | 'cm';
export const VARIANTS: readonly Variant[] = ['cc', 'ccv', 'cm'];
export type { Pattern } from './patterns.js';

export interface CausalOptions {
  /** Which variant decides `valid` (default 'cc'); all three are reported. */
  variant?: Variant;
  /** Date.now() milliseconds after which unfinished variants are 'unknown'. */
  deadline?: number;
  /** Largest ops × writing processes for which clocks are built (default 2^27, 512 MB per clock array). */
  maxClockEntries?: number;
  /** CM is also checked when another variant is asked for, on histories of at most this many ops (default 20,000). */
  cmAlwaysUpTo?: number;
}

export interface VariantResult {
  valid: Validity;
  /** The first bad pattern found, in the paper's order. */
  pattern?: Pattern;
  /** `index` of the ops in the pattern's roles (and, for a cycle, its ops with program-order runs cut to their ends). */
  ops?: number[];
  sentence?: string;
  /** The cycle, or the causal paths used, step by step. */
  chain?: ChainStep[];
  /** The ops of `ops`, each with its vector clock over CO. */
  evidence?: OpEvidence[];
  /** Why the verdict is unknown, in words. */
  reason?: string;
  /** Which bound left it unknown (the result's `reason` when this variant decides). */
  limit?: UnknownReason;
}

const DEFAULT_MAX_CLOCK_ENTRIES = 2 ** 27;
const DEFAULT_CM_ALWAYS_UP_TO = 20_000;

function variantOf(v: unknown): Variant {
  if (v === undefined) return 'cc';
  if (typeof v === 'string' && (VARIANTS as readonly string[]).includes(v)) return v as Variant;
  throw new InputError(`variant: causal takes one of ${VARIANTS.join(', ')}, not ${JSON.stringify(v)}`);
}

function invalid(P: Prepared, K: Clocks | undefined, f: Found): VariantResult {
  const cycle = f.pattern === 'CyclicCO' || f.pattern === 'CyclicCF' || f.pattern === 'CyclicHB';
  // Non-cycle patterns get their causal paths here (they need the clocks).
  if (!cycle && f.chains.length === 0 && K) {
    if (f.pattern === 'WriteCOInitRead') f.chains.push(coPath(P, K, f.roles[0], f.roles[1]));
    if (f.pattern === 'WriteCORead') f.chains.push(joinPaths(coPath(P, K, f.roles[0], f.roles[1]), coPath(P, K, f.roles[1], f.roles[2])));
  }
  const shown = f.chains.map((c) => compress(c, cycle));
  const ids: number[] = [];
  const add = (v: number) => {
    if (v >= 0 && !ids.includes(v)) ids.push(v);
  };
  if (cycle) {
    for (const c of shown) for (let i = 0; i < c.ops.length; i++) add(c.ops[i]);
    for (const c of shown) for (const w of c.why) add(w);
  } else {
    f.roles.forEach(add);
  }
  const steps = shown.flatMap((c) => chainSteps(P, c, cycle));
  return {
    valid: false,
    pattern: f.pattern,
    ops: ids.map((v) => P.index[v]),
    sentence: sentence(P, f),
    ...(steps.length ? { chain: steps } : {}),
    evidence: ids.map((v) => opEvidence(P, K, v)),
  };
}

const unknown = (reason: string, limit: UnknownReason): VariantResult => ({ valid: 'unknown', reason, limit });

/** Checks a history against CC, CCv and CM; `valid` is the verdict of `options.variant`. */
export function checkCausal(history: History, options: CausalOptions = {}): Result {
  const variant = variantOf(options.variant);
  const started = Date.now();
  const ms: Record<string, number> = {};
  let lap = performance.now();
  const mark = (phase: string) => {
    const now = performance.now();
    ms[phase] = Math.round(now - lap);
    lap = now;
  };
  const P = prepare(history.clientOps());
  mark('prepare');
  const base = {
    variant,
    processes: P.processes.length,
    keys: P.keys.length,
    reads: P.counts.reads,
    writes: P.counts.writes,
    readsIgnored: P.counts.readsIgnored,
    writesIgnored: P.counts.writesIgnored,
    infoWritesRead: P.counts.infoWritesRead,
  };
  let cc: VariantResult;
  let ccv: VariantResult;
  let cm: VariantResult;
  let counts: Partial<Record<Pattern, number>> = {};
  let processesChecked: number | undefined;

  const { order, count } = topoOrder(P);
  const comps = componentsOf(P);
  if (count < P.n) {
    const thin = thinAirReads(P);
    counts = { CyclicCO: 1, ...(thin.length ? { ThinAirRead: thin.length } : {}) };
    cc = invalid(P, undefined, cyclicCO(P, order, count));
    ccv = cc;
    cm = cc;
  } else if (P.n * comps.C > (options.maxClockEntries ?? DEFAULT_MAX_CLOCK_ENTRIES)) {
    const thin = thinAirReads(P);
    if (thin.length) {
      counts = { ThinAirRead: thin.length };
      cc = invalid(P, undefined, { pattern: 'ThinAirRead', roles: [thin[0]], chains: [] });
      ccv = cm = cc;
    } else {
      cc = ccv = cm = unknown(`${P.n} ops × ${comps.C} writing processes is past the ${options.maxClockEntries ?? DEFAULT_MAX_CLOCK_ENTRIES} clock entries allowed (maxClockEntries)`, 'memory-limit');
    }
  } else {
    const K = vectorClocks(P, order, comps);
    const slots = new WriterSlots(P, K);
    mark('clocks');
    const outcome = ccPatterns(P, K, slots);
    counts = outcome.counts;
    mark('cc');
    if (outcome.found) {
      cc = invalid(P, K, outcome.found);
      ccv = cc;
      cm = cc;
    } else {
      cc = { valid: true };
      const cf = cyclicCF(P, K, slots);
      if (cf) counts.CyclicCF = 1;
      ccv = cf ? invalid(P, K, cf) : { valid: true };
      mark('ccv');
      const late = options.deadline !== undefined && Date.now() > options.deadline;
      const cmLimit = options.cmAlwaysUpTo ?? DEFAULT_CM_ALWAYS_UP_TO;
      if (variant !== 'cm' && P.n > cmLimit) {
        cm = unknown(`not checked: causal memory (CM) costs the most, so it is checked on histories over ${cmLimit} ops only when variant cm is asked for`, 'search-limit');
      } else if (late) {
        cm = unknown('the deadline passed before causal memory (CM) was checked', 'time-limit');
      } else {
        const m = cmPatterns(P, K, slots, options.deadline);
        processesChecked = m.processesChecked;
        Object.assign(counts, m.counts);
        cm = m.timedOut ? unknown(`the deadline passed while checking causal memory (CM), after ${m.processesChecked} processes`, 'time-limit') : m.found ? invalid(P, K, m.found) : { valid: true };
        mark('cm');
      }
    }
  }

  const chosen = variant === 'cc' ? cc : variant === 'ccv' ? ccv : cm;
  const name = { cc: 'causally consistent (CC)', ccv: 'causally convergent (CCv)', cm: 'causal memory (CM)' }[variant];
  const result: Result = {
    valid: chosen.valid,
    ...(chosen.valid === false
      ? { explanation: `${chosen.pattern}: ${chosen.sentence}`, ops: chosen.ops }
      : chosen.valid === 'unknown'
        ? { ...(chosen.limit ? { reason: chosen.limit } : {}), explanation: `not decided whether the history is ${name}: ${chosen.reason}` }
        : {}),
    ...base,
    cc,
    ccv,
    cm,
    patternCounts: counts,
    ...(processesChecked !== undefined ? { cmProcessesChecked: processesChecked } : {}),
    ms: Date.now() - started,
    phaseMs: ms,
  };
  return result;
}

export const causal: Checker = {
  name: 'causal',
  description: 'causal consistency of read/write registers (CC, CCv, CM) by the bad patterns of Bouajjani et al., POPL 2017 (--variant cc|ccv|cm)',
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const o = ctx.options ?? {};
    const none = nothingToCheck(h, 'causal', ['read', 'write']);
    if (none) return none;
    return checkCausal(h, {
      variant: variantOf(o.variant),
      deadline: ctx.deadline,
      ...(typeof o.maxClockEntries === 'number' ? { maxClockEntries: o.maxClockEntries } : {}),
    });
  },
};
