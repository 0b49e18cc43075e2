// Flags given more than once (issue 20 item 6). yargs collects a repeated flag into a list, and a
// command reading one value got the list: `--out A --out B` passed an array as a path ("internal
// error: The "path" argument must be of type string"), `--consistency-models a
// --consistency-models b` died in "raw.split is not a function". A flag that takes one value is
// refused when repeated; only --option (and the file names) collect. A boolean flag given twice
// is yargs's own rule: the last wins (`--progress --no-progress` is no progress).
import { InputError, show } from '../histories/errors.js';

/** The options that collect their repeats: `--option K=V` (check, test) and positional lists. */
export const REPEATABLE = new Set(['option', 'files', '_', '$0']);

/**
 * Throws at the first single-value flag yargs handed over as a list. An alias and the camelCase
 * copy yargs adds hold the same list; the flag is named by its longest dashed spelling.
 */
export function refuseRepeatedFlags(args: Record<string, unknown>): void {
  let name: string | undefined;
  let values: unknown[] = [];
  for (const [k, v] of Object.entries(args)) {
    if (!Array.isArray(v) || REPEATABLE.has(k) || /[A-Z]/.test(k)) continue;
    if (name === undefined || k.length > name.length) {
      name = k;
      values = v;
    }
  }
  if (name === undefined) return;
  const flag = name.length === 1 ? `-${name}` : `--${name}`;
  throw new InputError(`${flag} given ${values.length} times (${values.map(show).join(', ')}): it takes one value; give it once`);
}
