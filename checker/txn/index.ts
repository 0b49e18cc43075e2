// Elle-class transactional checkers: `list-append` and `rw-register`.
import type { History } from '../../histories/history.js';
import type { CheckContext, Checker, Result } from '../types.js';
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

function txnChecker(workload: Workload, description: string): Checker {
  return {
    name: workload,
    description,
    check: (h: History, ctx: CheckContext): Promise<Result> => checkTxn(h, optionsFrom(workload, ctx)),
    checkJsonlFile: (path: string, ctx: CheckContext) => checkTxnJsonlFile(path, optionsFrom(workload, ctx), ctx.file ?? path),
    render: (h: History, r: Result): string => renderTxnView(h, r, workload),
  };
}

export const listAppend = txnChecker('list-append', 'transactional isolation from list-append histories (Elle): G0…G2-item, models ruled out');
export const rwRegister = txnChecker('rw-register', 'transactional isolation from read-write register histories (Elle): G0…G2-item, models ruled out');
