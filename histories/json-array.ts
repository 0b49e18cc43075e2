// A JSON array of ops (elle-cli's shape, among others). Parsed whole; each element's line is
// found by a scan of the text so that errors and evidence can name it.
import { HistoryBuilder } from './builder.js';
import { HistoryError } from './errors.js';
import type { History } from './history.js';

/** Offsets where each top-level array element starts, and where the scan stopped. */
function scanElements(text: string): { starts: number[]; ends: number[]; ok: boolean; stop: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  let depth = 0;
  let expectElement = false;
  let i = 0;
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) continue;
    if (depth === 1 && expectElement && c !== 93) {
      starts.push(i);
      expectElement = false;
    }
    if (c === 34) {
      // skip the string
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
      if (i >= n) return { starts, ends, ok: false, stop: n };
    } else if (c === 91 || c === 123) {
      depth++;
      if (depth === 1) {
        if (c !== 91) return { starts, ends, ok: false, stop: i };
        expectElement = true;
      }
    } else if (c === 93 || c === 125) {
      if (depth === 1 && starts.length > ends.length) ends.push(i);
      depth--;
      if (depth < 0) return { starts, ends, ok: false, stop: i };
      if (depth === 0) return { starts, ends, ok: true, stop: i + 1 };
    } else if (c === 44 && depth === 1) {
      ends.push(i);
      expectElement = true;
    }
  }
  return { starts, ends, ok: false, stop: n };
}

function lineOfOffsets(text: string, offsets: number[]): Int32Array {
  const lines = new Int32Array(offsets.length);
  let line = 1;
  let at = 0;
  for (let k = 0; k < offsets.length; k++) {
    const target = offsets[k];
    for (; at < target; at++) if (text.charCodeAt(at) === 10) line++;
    lines[k] = line;
  }
  return lines;
}

function lineAt(text: string, offset: number): number {
  return lineOfOffsets(text, [offset])[0];
}

/** Finds where a text that JSON.parse refused goes wrong, as well as a person needs to know. */
function locateSyntaxError(text: string, file: string, why: string): never {
  const scan = scanElements(text);
  for (let k = 0; k < scan.starts.length; k++) {
    const end = scan.ends[k] ?? text.length;
    try {
      JSON.parse(text.slice(scan.starts[k], end));
    } catch {
      throw new HistoryError(file, lineAt(text, scan.starts[k]), `not valid JSON (${why})`);
    }
  }
  throw new HistoryError(file, lineAt(text, Math.min(scan.stop, text.length)), `not valid JSON (${why})`);
}

export function parseJsonArray(text: string, file = '<json>'): History {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e);
    locateSyntaxError(text, file, why);
  }
  if (!Array.isArray(data)) {
    throw new HistoryError(file, 1, 'expected a JSON array of ops (or one op per line, as JSON Lines)');
  }
  const scan = scanElements(text);
  const lines = scan.starts.length === data.length ? lineOfOffsets(text, scan.starts) : undefined;
  const builder = new HistoryBuilder(file);
  data.forEach((raw, i) => builder.add(raw, lines ? lines[i] : 1));
  return builder.build();
}
