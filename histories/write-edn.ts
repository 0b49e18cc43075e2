// Writes histories as Jepsen EDN (one op map per line, like Jepsen's history.edn), with keywords
// where Jepsen has them (:type, :f, :nemesis, micro-op names, map keys), so Jepsen's own tools can
// read the result. An op's key becomes a #jepsen.independent/tuple, as Jepsen's independent
// workloads record it.
import { isCanonicalIntegerKey } from '../base/json.js';
import { canonicalEntries } from './canonical.js';
import type { History } from './history.js';
import { looksLikeMicroOps } from './normalize.js';
import type { Op } from './op.js';

const KEYWORD = /^[A-Za-z*!_?<>=][\w*+!\-?<>=.]*(?:\/[\w*+!\-?<>=.]+)?$/;

function keywordOr(s: string): string {
  return KEYWORD.test(s) ? `:${s}` : ednString(s);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function ednString(s: string): string {
  // Control characters and lone surrogates (which UTF-8 cannot carry) are escaped.
  return `"${s.replace(/[\\"\n\r\t\b\f]/g, (c) => ESCAPES[c]).replace(/[\u0000-\u001f]/g, unicodeEscape).replace(LONE_SURROGATE, unicodeEscape)}"`;
}
const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function ednNumber(n: number): string {
  if (Number.isNaN(n)) return '##NaN';
  if (n === Infinity) return '##Inf';
  if (n === -Infinity) return '##-Inf';
  return String(n);
}

function ednMapKey(k: string): string {
  if (isCanonicalIntegerKey(k)) return k;
  return keywordOr(k);
}

export function ednValue(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return String(v);
    case 'number':
      return ednNumber(v);
    case 'string':
      return ednString(v);
    case 'bigint':
      return `${v}N`;
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(ednValue).join(' ')}]`;
      const parts = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${ednMapKey(k)} ${ednValue(x)}`);
      return `{${parts.join(', ')}}`;
    }
    default:
      return ednString(String(v));
  }
}

function microOps(value: unknown[]): string {
  return `[${value.map((m) => `[${(m as unknown[]).map((x, i) => (i === 0 ? keywordOr(x as string) : ednValue(x))).join(' ')}]`).join(' ')}]`;
}

export function formatOpEdn(op: Op): string {
  const parts: string[] = [];
  const txn = looksLikeMicroOps(op.value);
  for (const [k, v] of canonicalEntries(op)) {
    if (k === 'key') continue;
    let text: string;
    if (k === 'type' || k === 'f') text = keywordOr(v as string);
    else if (k === 'process') text = v === 'nemesis' ? ':nemesis' : ednValue(v);
    else if (k === 'value') {
      const inner = txn ? microOps(v as unknown[]) : ednValue(v);
      text = op.key !== undefined ? `#jepsen.independent/tuple [${ednValue(op.key)} ${inner}]` : inner;
    } else text = ednValue(v);
    parts.push(`${keywordOr(k)} ${text}`);
  }
  return `{${parts.join(', ')}}`;
}

export function formatHistoryEdn(h: History | readonly Op[]): string {
  const ops = 'ops' in h ? h.ops : h;
  let out = '';
  for (const op of ops) out += formatOpEdn(op) + '\n';
  return out;
}
