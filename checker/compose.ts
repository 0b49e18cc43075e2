import type { History } from '../histories/history.js';
import type { CheckContext, Checker, Result, UnknownReason, Validity } from './types.js';

/** Merges validities: false beats unknown beats true. */
export function mergeValidity(vs: Iterable<Validity>): Validity {
  let out: Validity = true;
  for (const v of vs) {
    if (v === false) return false;
    if (v === 'unknown') out = 'unknown';
  }
  return out;
}

/**
 * A checker that runs several and reports each under its name. A checker that throws is reported
 * as `unknown` with the error, so one broken checker does not hide the others' verdicts.
 */
export function compose(checkers: Record<string, Checker>, name = 'compose'): Checker {
  return {
    name,
    description: `runs ${Object.keys(checkers).join(', ')}`,
    async check(h: History, ctx: CheckContext): Promise<Result> {
      const results: Record<string, Result> = {};
      for (const [key, checker] of Object.entries(checkers)) {
        try {
          results[key] = await checker.check(h, ctx);
        } catch (e) {
          results[key] = { valid: 'unknown', reason: 'checker-error', explanation: `${checker.name} failed: ${(e as Error)?.message ?? String(e)}`, error: String(e) };
        }
      }
      const valid = mergeValidity(Object.values(results).map((r) => r.valid));
      const failing = Object.entries(results).filter(([, r]) => r.valid === valid && valid !== true);
      const explanation = failing.map(([k, r]) => `${k}: ${r.explanation ?? r.valid}`).join('; ') || undefined;
      // Unknown overall: the reason of the first checker that ended unknown (each keeps its own).
      const reason = valid === 'unknown' ? (failing.find(([, r]) => r.reason !== undefined)?.[1].reason as UnknownReason | undefined) : undefined;
      return { valid, ...(reason ? { reason } : {}), ...(explanation ? { explanation } : {}), ...results };
    },
  };
}
