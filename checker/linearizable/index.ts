// The linearizability checker: `faultline check --model M` and checkLinearizable() for libraries.
import { InputError } from '../../histories/errors.js';
import type { Checker } from '../types.js';
import { checkLinearizable } from './check.js';
import { renderLinearizableView } from './view.js';

export { checkLinearizable, partition, liftKeyedTuples, type LinearizableOptions } from './check.js';
export { INCONSISTENT, type Model, type ModelSpec, type Inconsistent } from './model.js';
export { registerModel, getModelSpec, listModels, resolveModel } from './registry.js';
export { builtinModels } from './models.js';

export const linearizable: Checker = {
  name: 'linearizable',
  description: 'linearizability against a model (--model; --init sets its initial state)',
  async check(h, ctx) {
    if (ctx.model === undefined) throw new InputError('the linearizable checker needs --model (e.g. --model cas-register)');
    return checkLinearizable(h, ctx.model, {
      init: ctx.init,
      deadline: ctx.deadline,
      keyedTuples: ctx.options?.keyedTuples === true,
      progress: ctx.progress,
    });
  },
  render: renderLinearizableView,
};
export { linearizableMatchers } from './matchers.js';
export { renderLinearizableView } from './view.js';
