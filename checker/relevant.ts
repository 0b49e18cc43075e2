// A checker given a history with none of the ops it checks has proven nothing: it says so
// (unknown, reason nothing-to-check, naming the fs it looks for) rather than calling the history
// valid, so that a CI gate on the verdict cannot pass on an empty or mistaken history.
import type { History } from '../histories/history.js';
import type { Result } from './types.js';

/**
 * Unknown when no client op of `h` has an f in `fs` (when `fs` is omitted: when `h` has no client
 * op at all); otherwise undefined (go on checking).
 */
export function nothingToCheck(h: History, checker: string, fs?: readonly string[]): Result | undefined {
  for (const op of h.ops) if (op.process !== 'nemesis' && (fs === undefined || fs.includes(op.f))) return undefined;
  const seen = [...new Set(h.ops.filter((o) => o.process !== 'nemesis').map((o) => o.f))].slice(0, 6);
  return {
    valid: 'unknown',
    reason: 'nothing-to-check',
    explanation:
      fs === undefined
        ? `the ${checker} checker found no client op in this history, so it had nothing to check`
        : `the ${checker} checker looks at ops with f ${fs.map((f) => `"${f}"`).join(', ')}, and this history has none${seen.length ? ` (its fs: ${seen.map((f) => `"${f}"`).join(', ')})` : ''}`,
  };
}

/** An unknown result for a history whose ops are there but none completed as the checker needs. */
export function nothingCompleted(explanation: string, details: Record<string, unknown> = {}): Result {
  return { valid: 'unknown', reason: 'nothing-to-check', explanation, ...details };
}
