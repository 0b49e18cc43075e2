// Placeholder replaced by the cycle view.
import type { History } from '../../histories/history.js';
import type { Result } from '../types.js';
import type { Workload } from './txns.js';
import { escapeHtml } from '../../report/html.js';

export function renderTxnView(h: History, r: Result, workload: Workload): string {
  return `<!doctype html><title>${escapeHtml(workload)}</title><pre>${escapeHtml(JSON.stringify(r, null, 2))}</pre>`;
}
