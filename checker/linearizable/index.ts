// The linearizability checker: `faultline check --model M` and checkLinearizable() for libraries.
import { InputError } from '../../histories/errors.js';
import { nothingToCheck } from '../relevant.js';
import type { Checker, Result } from '../types.js';
import { checkLinearizable } from './check.js';

export { checkLinearizable, partition, liftKeyedTuples, type LinearizableOptions } from './check.js';
export { INCONSISTENT, type Model, type ModelSpec, type Inconsistent } from './model.js';
export { registerModel, getModelSpec, listModels, resolveModel } from './registry.js';
export { builtinModels } from './models.js';

export const linearizable: Checker = {
  name: 'linearizable',
  description: 'linearizability against a model (--model; --init sets its initial state)',
  async check(h, ctx) {
    if (ctx.model === undefined) throw new InputError('the linearizable checker needs --model (e.g. --model cas-register)');
    const none = nothingToCheck(h, 'linearizable');
    if (none) return none;
    return withReason(
      await checkLinearizable(h, ctx.model, {
        init: ctx.init,
        deadline: ctx.deadline,
        keyedTuples: ctx.options?.keyedTuples === true,
        // --option partition=false: a keyed history checked whole (as Porcupine's unpartitioned kv tests)
        ...(ctx.options?.partition === false ? { partition: false } : {}),
        // --option allParts=true: every key decided and the invalid ones listed, not only the first
        ...(ctx.options?.allParts === true ? { allParts: true } : {}),
        progress: ctx.progress,
      }),
    );
  },
};

/**
 * The unknown reason of a linearizability result, from the bound its first undecided part hit.
 * Kept here, outside the search, which names its bounds in `unknownParts[].reason`.
 */
function withReason(r: Result): Result {
  if (r.valid !== 'unknown' || r.reason !== undefined) return r;
  const why = (r.unknownParts as { reason?: string }[] | undefined)?.[0]?.reason ?? '';
  return { ...r, reason: /time/.test(why) ? 'time-limit' : /memory/.test(why) ? 'memory-limit' : 'search-limit' };
}

export { linearizableMatchers } from './matchers.js';
