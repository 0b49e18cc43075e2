import { CANONICAL_FIELDS, type Op } from './op.js';

/** The op's fields in the order writers use: the core ones first, then the rest as they came. */
export function canonicalEntries(op: Op): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const k of CANONICAL_FIELDS) if (op[k] !== undefined) out.push([k, op[k]]);
  for (const k of Object.keys(op)) {
    if (op[k] !== undefined && !(CANONICAL_FIELDS as readonly string[]).includes(k)) out.push([k, op[k]]);
  }
  return out;
}
