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
    const value = valueText === undefined || valueText === '' ? null : parseEdn(valueText, file, k + 1);
    const raw: Record<string, unknown> = { process, type, f, value };
    if (type === 'fail' && f === 'cas') {
      raw.type = 'ok';
      raw.result = false;
    }
    builder.add(raw, k + 1);
  }
  return builder.build();
}
