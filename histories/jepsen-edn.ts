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
