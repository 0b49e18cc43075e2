// Porcupine's etcd logs: Jepsen console lines such as
//   INFO  jepsen.util - 2	:invoke	:cas	[3 0]
// translated into faultline's semantics, so no checker needs to know where a history came from:
// a `:fail :cas` completed and returned false (an `ok` cas with `result: false`); `:info` is an
// info completion (the call stays open); any other `:fail` (a timed-out read) did not happen.
import { HistoryBuilder } from './builder.js';
import { parseEdn } from './edn.js';
import { HistoryError } from './errors.js';
import type { History } from './history.js';

const LINE = /^(?:.*?\s-\s+)?(\S+)\s+:(\S+)\s+:(\S+)(?:\s+(.*?))?\s*$/;

/** An integer as parseEdn reads it: digits, an optional minus, short enough to be exact. */
function intAt(text: string, from: number, to: number): number | undefined {
  let i = from;
  if (text.charCodeAt(i) === 45 /* - */) i++;
  if (i === to || to - from > 15) return undefined;
  for (let k = i; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(text.slice(from, to));
}

/**
 * The values these logs carry (`nil`, `3`, `[3 0]`, `[nil 4]`) without the EDN reader, whose
 * generality costs several microseconds a line; anything else goes to parseEdn. Gives what
 * parseEdn gives (test/readers.test.ts holds it to that).
 */
export function simpleEtcdValue(text: string): unknown {
  if (text === 'nil') return null;
  const n = text.length;
  if (text.charCodeAt(0) === 91 /* [ */ && text.charCodeAt(n - 1) === 93 /* ] */) {
    const sp = text.indexOf(' ');
    if (sp === -1 || text.indexOf(' ', sp + 1) !== -1) return undefined;
    const a = text.slice(1, sp) === 'nil' ? null : intAt(text, 1, sp);
    const b = text.slice(sp + 1, n - 1) === 'nil' ? null : intAt(text, sp + 1, n - 1);
    return a === undefined || b === undefined ? undefined : [a, b];
  }
  return intAt(text, 0, n);
}

export function parsePorcupineEtcdLog(text: string, file = '<log>'): History {
  const builder = new HistoryBuilder(file);
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (line.trim().length === 0) continue;
    const m = LINE.exec(line);
    if (!m) throw new HistoryError(file, k + 1, 'not a Jepsen op line ("... - PROCESS :TYPE :F VALUE")');
    const [, proc, type, f, valueText] = m;
    let process: number | string;
    if (/^\d+$/.test(proc)) process = Number(proc);
    else if (proc === ':nemesis') process = 'nemesis';
    else throw new HistoryError(file, k + 1, `"process" must be an integer or "nemesis", got "${proc}"`);
    let value: unknown = null;
    if (valueText !== undefined && valueText !== '') {
      value = simpleEtcdValue(valueText);
      if (value === undefined) value = parseEdn(valueText, file, k + 1);
    }
    const raw: Record<string, unknown> = { process, type, f, value };
    if (type === 'fail' && f === 'cas') {
      raw.type = 'ok';
      raw.result = false;
    }
    builder.add(raw, k + 1);
  }
  return builder.build();
}
