// Keys for JSON values, so models can compare and intern states cheaply: numbers stand for
// themselves, everything else is tagged JSON (so 1 and "1" differ). Canonical JSON itself is a
// foundation (base/json.ts) that the systems under test use too.
import { canonicalJson } from '../../base/json.js';

export { canonicalJson };

export function valueKey(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return `s${v}`;
  return `j${canonicalJson(v)}`;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

export function show(v: unknown): string {
  const s = canonicalJson(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
