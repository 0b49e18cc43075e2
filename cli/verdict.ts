// How a verdict reads on a summary line: "valid", "INVALID", or "unknown" with its reason
// ("unknown (nothing to check)", "unknown (gave up: time limit)"), so that the two meanings of
// exit code 2 read apart.
import { reasonWords } from '../checker/types.js';

export function verdictText(valid: unknown, reason?: unknown): string {
  if (valid === true) return 'valid';
  if (valid === false) return 'INVALID';
  const words = reasonWords(reason);
  return words === undefined ? 'unknown' : `unknown (${words})`;
}
