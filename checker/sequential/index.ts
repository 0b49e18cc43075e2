// The sequential-consistency checker: `faultline check --checker sequential --model M`, and
// checkSequential() for libraries. Models are the linearizable checker's (--model, --init).
import { InputError } from '../../histories/errors.js';
import { nothingToCheck } from '../relevant.js';
import type { Checker } from '../types.js';
import { checkSequential } from './check.js';

export { checkSequential, DEFAULT_MAX_EXPLORED, type SequentialOptions, type SequentialOpRef } from './check.js';
export { searchSequential, type SequentialProblem, type SequentialSearchResult, type SequentialOutcome } from './search.js';

export const sequential: Checker = {
  name: 'sequential',
  description: "sequential consistency against a model (--model, --init): one legal order keeping each process's order, real time aside",
  async check(h, ctx) {
    if (ctx.model === undefined) throw new InputError('the sequential checker needs --model (e.g. --model cas-register)');
    const none = nothingToCheck(h, 'sequential');
    if (none) return none;
    const max = ctx.options?.maxExplored;
    if (max !== undefined && !(typeof max === 'number' && max > 0)) {
      throw new InputError(`sequential: --option maxExplored=N needs a positive number, got ${JSON.stringify(max)}`);
    }
    const mib = ctx.options?.maxMemory;
    if (mib !== undefined && !(typeof mib === 'number' && mib > 0)) {
      throw new InputError(`sequential: --option maxMemory=MiB needs a positive number of MiB, got ${JSON.stringify(mib)}`);
    }
    return checkSequential(h, ctx.model, {
      init: ctx.init,
      deadline: ctx.deadline,
      keyedTuples: ctx.options?.keyedTuples === true,
      maxExplored: max as number | undefined,
      maxMemoryBytes: mib === undefined ? undefined : (mib as number) * 2 ** 20,
    });
  },
};
