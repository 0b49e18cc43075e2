// The HTML view of a checker's result (a self-contained page, `faultline check --out`): checker/
// decides, report/ renders, so the built-in checkers' views live here and are found by name. A
// library's own checker may still bring its view as `Checker.render`.
import type { Checker, Result } from '../checker/types.js';
import type { History } from '../histories/history.js';
import { renderLinearizableView } from './linearizable-view.js';
import { renderTxnView } from './txn-view.js';

export type View = (h: History, result: Result) => string;

const views: Record<string, View> = {
  linearizable: renderLinearizableView,
  'list-append': (h, r) => renderTxnView(h, r, 'list-append'),
  'rw-register': (h, r) => renderTxnView(h, r, 'rw-register'),
};

/** The view of `checker`'s results: its own, else the built-in one for its name, if any. */
export function viewOf(checker: Checker): View | undefined {
  if (checker.render) return checker.render.bind(checker);
  return Object.hasOwn(views, checker.name) ? views[checker.name] : undefined;
}
