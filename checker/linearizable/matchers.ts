// A vitest matcher, so users' own test suites can gate on linearizability:
//   import { expect } from 'vitest';
//   import { linearizableMatchers } from 'faultline/dist/checker/linearizable/matchers.js';
//   expect.extend(linearizableMatchers);
//   await expect(history).toBeLinearizable('cas-register', { init: 0 });
import type {} from 'vitest';
import { History } from '../../histories/history.js';
import type { Op } from '../../histories/op.js';
import { checkLinearizable, type LinearizableOptions } from './check.js';
import type { Model, ModelSpec } from './model.js';

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

export const linearizableMatchers = {
  async toBeLinearizable(
    this: { isNot?: boolean },
    received: History | Op[],
    model: string | Model<unknown> | ModelSpec,
    options: LinearizableOptions = {},
  ): Promise<MatcherResult> {
    const h = received instanceof History ? received : new History(received);
    const r = await checkLinearizable(h, model, options);
    const name = typeof model === 'string' ? model : model.name;
    if (r.valid === 'unknown') {
      return { pass: false, message: () => `could not decide whether the history is linearizable (${name}): ${r.explanation}` };
    }
    return {
      pass: r.valid === true,
      message: () =>
        r.valid === true
          ? `expected the history not to be linearizable (${name}), but it is`
          : `expected the history to be linearizable (${name}): ${r.explanation}`,
    };
  },
};

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> {
    toBeLinearizable(model: string | Model<unknown> | ModelSpec, options?: LinearizableOptions): Promise<T>;
  }
}
