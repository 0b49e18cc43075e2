// Canonical JSON: equal values give equal text, whatever the order of their object keys. The
// checkers compare and intern values by it, and the systems under test store and compare by it.

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

/**
 * An object key (keys are strings) that is a safe integer written as String(n) writes it: `12`,
 * `-3`; not `-0`, `007`, `1e3` or `+5`, which as numbers would read back as other keys.
 */
export function isCanonicalIntegerKey(k: string): boolean {
  const n = Number(k);
  return Number.isSafeInteger(n) && String(n) === k;
}
