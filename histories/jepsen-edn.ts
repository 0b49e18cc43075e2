// Jepsen EDN histories: `history.edn` (one op map per line) and Knossos data files (one top-level
// vector or list of op maps, pretty-printed, with comments). Porcupine's kv logs are the former
// with a `:key` on each op, so they are read here too.
import { HistoryBuilder } from './builder.js';
import { EdnReader, independentTuples } from './edn.js';
import type { History } from './history.js';

/** Lifts `#jepsen.independent/tuple [k v]` in an op's value into the op's key and value. */
export function liftIndependentKey(raw: unknown): unknown {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const op = raw as Record<string, unknown>;
    const v = op.value;
    if (Array.isArray(v) && independentTuples.has(v) && v.length === 2 && op.key === undefined) {
      op.key = v[0];
      op.value = v[1];
    }
  }
  return raw;
}

export function parseJepsenEdn(text: string, file = '<edn>'): History {
  const reader = new EdnReader(text, file);
  const builder = new HistoryBuilder(file);
  let forms = 0;
  while (reader.skipSpace()) {
    const at = reader.pos;
    const c = text.charCodeAt(at);
    if (forms === 0 && (c === 91 || c === 40)) {
      // A top-level vector or list of ops: a Knossos data file.
      reader.pos++;
      const offsets: number[] = [];
      const items = reader.readSeq(c === 91 ? 93 : 41, at, offsets);
      items.forEach((item, k) => builder.add(liftIndependentKey(item), reader.lineAt(offsets[k])));
      if (reader.skipSpace()) reader.error(reader.pos, 'unexpected text after the vector of ops');
      return builder.build();
    }
    const form = reader.readForm();
    builder.add(liftIndependentKey(form), reader.lineAt(at));
    forms++;
  }
  return builder.build();
}

// One line of Porcupine's kv logs, as its own test code writes and reads them (a regular
// expression there too): the fast path of parsePorcupineKvLog. Strings without escapes only.
const KV_LINE = /^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), :key "([^"\\]*)", :value (?:nil|"([^"\\]*)")\}\s*$/;

/**
 * Porcupine's kv logs: one op map per line in a fixed shape, matched by a regular expression
 * (about three times faster than the general EDN reader on a cold process); a file with any
 * other line is read by parseJepsenEdn, as it would be without this path. The ops are the same
 * objects, key for key, that the EDN reader makes.
 */
export function parsePorcupineKvLog(text: string, file = '<kv log>'): History {
  const builder = new HistoryBuilder(file);
  let line = 0;
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    line++;
    const s = text.slice(at, end);
    at = end + 1;
    const m = KV_LINE.exec(s);
    if (m === null) {
      if (/^\s*$/.test(s)) continue;
      return parseJepsenEdn(text, file);
    }
    builder.add({ process: Number(m[1]), type: m[2], f: m[3], key: m[4], value: m[5] === undefined ? null : m[5] }, line);
  }
  return builder.build();
}
