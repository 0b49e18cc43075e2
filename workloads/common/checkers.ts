// Checkers as a workload composes them: each with the model and options this workload implies,
// merged over whatever the caller's context already carries (file, deadline, user options).
import { compose } from '../../checker/compose.js';
import { perf } from '../../checker/perf.js';
import { stats } from '../../checker/stats.js';
import type { CheckContext, Checker } from '../../checker/types.js';

export interface Settings {
  model?: string;
  options?: Record<string, unknown>;
}

/** `checker` run with `settings` laid over the context it is given. */
export function configured(checker: Checker, settings: Settings): Checker {
  const withSettings = (ctx: CheckContext): CheckContext => ({
    ...ctx,
    ...(settings.model !== undefined ? { model: settings.model } : {}),
    ...(settings.options !== undefined ? { options: { ...ctx.options, ...settings.options } } : {}),
  });
  const wrapped: Checker = {
    name: checker.name,
    description: checker.description,
    check: (h, ctx) => checker.check(h, withSettings(ctx)),
  };
  const streamed = checker.checkJsonlFile;
  if (streamed) wrapped.checkJsonlFile = (path, ctx) => streamed.call(checker, path, withSettings(ctx));
  if (checker.render) wrapped.render = checker.render.bind(checker);
  return wrapped;
}

/** The workload's own checkers, then stats and perf, run together (validity merges false > unknown > true). */
export function withStatsAndPerf(name: string, checkers: Record<string, Checker>): Checker {
  return compose({ ...checkers, stats, perf }, name);
}
