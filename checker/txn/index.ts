// Elle-class transactional checkers: `list-append` and `rw-register`.
import type { History } from '../../histories/history.js';
import { nothingCompleted } from '../relevant.js';
import type { CheckContext, Checker, Result, StreamedResult } from '../types.js';
import { checkTxn, checkTxnJsonlFile, type TxnCheckOptions } from './check.js';
import type { Workload } from './txns.js';
import { renderTxnView } from './view.js';

export { checkTxn, checkTxnJsonlFile, parseModels, DEFAULT_MODELS, type TxnCheckOptions } from './check.js';
export { boundary, canonicalModel, knownModels, prohibitedAnomalies, impliedAnomalies } from './models.js';
export type { Anomaly } from './anomalies.js';

function optionsFrom(workload: Workload, ctx: CheckContext): TxnCheckOptions {
  const o = ctx.options ?? {};
  const models = o.consistencyModels;
  return {
    workload,
    models: Array.isArray(models) && models.length > 0 ? (models as string[]) : typeof models === 'string' ? [models] : undefined,
    sequentialKeys: o.sequentialKeys === true,
    linearizableKeys: o.linearizableKeys === true,
    deadline: ctx.deadline,
    progress: ctx.progress,
  };
}

/** A history without a single transaction proved nothing: unknown, not valid (for the CLI and runs). */
function orNothing(r: Result, workload: Workload): Result {
  const count = (r.txns as { count?: number } | undefined)?.count;
  if (count !== 0) return r;
  return nothingCompleted(`the ${workload} checker found no transaction in this history, so it had nothing to check`, { txns: r.txns });
}

function txnChecker(workload: Workload, description: string): Checker {
  return {
    name: workload,
    description,
    check: async (h: History, ctx: CheckContext): Promise<Result> => orNothing(await checkTxn(h, optionsFrom(workload, ctx)), workload),
    checkJsonlFile: async (path: string, ctx: CheckContext): Promise<StreamedResult> => {
      const s = await checkTxnJsonlFile(path, optionsFrom(workload, ctx), ctx.file ?? path);
      return { ...s, result: orNothing(s.result, workload) };
    },
    render: (h: History, r: Result): string => renderTxnView(h, r, workload),
  };
}

export const listAppend = txnChecker('list-append', 'transactional isolation from list-append histories (Elle): G0…G2-item, models ruled out');
export const rwRegister = txnChecker('rw-register', 'transactional isolation from read-write register histories (Elle): G0…G2-item, models ruled out');
