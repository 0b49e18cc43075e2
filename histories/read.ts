// One entry point for every history file: picks the reader, returns a History.
import type { Format } from './formats.js';
import type { History } from './history.js';
import { parseJepsenEdn, parsePorcupineKvLog } from './jepsen-edn.js';
import { parseJsonArray } from './json-array.js';
import { parseJsonl } from './jsonl.js';
import { parsePorcupineEtcdLog } from './porcupine.js';

export { historyFormat, readHistoryFile, type ReadOptions, type ReadResult } from './read-file.js';

/** Parses history text already in memory. */
export function parseHistory(text: string, format: Format, file = '<history>'): History {
  switch (format) {
    case 'jsonl':
      return parseJsonl(text, file);
    case 'json':
      return parseJsonArray(text, file);
    case 'jepsen-edn':
      return parseJepsenEdn(text, file);
    case 'porcupine-kv-log':
      return parsePorcupineKvLog(text, file);
    case 'porcupine-etcd-log':
      return parsePorcupineEtcdLog(text, file);
  }
}

