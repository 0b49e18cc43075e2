// A checker given a history with none of the ops it checks has proven nothing: it says so
// (unknown, naming the fs it looks for) rather than calling the history valid.
import type { History } from '../histories/history.js';
import type { Result } from './types.js';

/** Unknown when no client op of `h` has an f in `fs`; otherwise undefined (go on checking). */
export function nothingToCheck(h: History, checker: string, fs: readonly string[]): Result | undefined {
  for (const op of h.ops) if (op.process !== 'nemesis' && fs.includes(op.f)) return undefined;
  const seen = [...new Set(h.ops.filter((o) => o.process !== 'nemesis').map((o) => o.f))].slice(0, 6);
  return {
    valid: 'unknown',
    explanation: `the ${checker} checker looks at ops with f ${fs.map((f) => `"${f}"`).join(', ')}, and this history has none${seen.length ? ` (its fs: ${seen.map((f) => `"${f}"`).join(', ')})` : ''}`,
  };
}
