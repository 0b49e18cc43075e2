// The nesting limit of everything faultline reads (history ops, EDN forms, configs). Readers,
// checkers and writers walk values recursively; a value nested a few thousand levels deep (a
// fuzzer's, or a broken writer's) ran them out of stack: "internal error: Maximum call stack size
// exceeded", without a line (issue 20). No real op or config comes near this: Jepsen's deepest is
// a txn's micro-op list inside an op map inside the history vector, about 5 levels.

/** Levels of arrays and objects an op or a config may have, the outermost one counted. */
export const MAX_NESTING = 100;

/**
 * True when `value` has arrays or objects nested more than `limit` deep. The walk recurses at most
 * `limit` levels, whatever the value's depth, so the limits faultline uses cannot run out of
 * stack; on 100k list-append transactions an explicit stack (two arrays and Object.values per op)
 * cost ~90 ms of a 1.4 s check, this ~55 ms.
 */
export function nestedDeeperThan(value: unknown, limit = MAX_NESTING): boolean {
  return value !== null && typeof value === 'object' && deeper(value, limit);
}

/** `v` (an object at level 1) has an object or array below level `limit`. */
function deeper(v: object, limit: number): boolean {
  if (limit < 1) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x !== null && typeof x === 'object' && deeper(x, limit - 1)) return true;
    }
    return false;
  }
  for (const k in v) {
    const x: unknown = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object' && deeper(x, limit - 1)) return true;
  }
  return false;
}

/** The op's fields nested too deep. */
export function opNestedTooDeep(op: Record<string, unknown>): boolean {
  for (const k in op) {
    const v = op[k];
    if (v !== null && typeof v === 'object' && deeper(v, MAX_NESTING - 1)) return true;
  }
  return false;
}

export const NESTING_TEXT = `nested more than ${MAX_NESTING} levels deep (faultline reads at most ${MAX_NESTING})`;

/**
 * The offset in JSON `text` of the first `[` or `{` that opens a level past `limit`, or -1: where
 * a too-deep document goes wrong, for its line.
 */
export function jsonTooDeepAt(text: string, limit = MAX_NESTING): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92 /* \ */) i++;
    } else if (c === 91 || c === 123) {
      if (++depth > limit) return i;
    } else if (c === 93 || c === 125) depth--;
  }
  return -1;
}

/** The 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
