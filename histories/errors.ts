/**
 * A problem with input a person gave us: a history file, a flag, a config. The CLI prints its
 * message as one line and exits 3; it never carries a stack trace to the user.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** An input error located in a file: `file:line: what is wrong`. */
export class HistoryError extends InputError {
  readonly file: string;
  readonly line: number | undefined;
  readonly reason: string;
  constructor(file: string, line: number | undefined, reason: string) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
    this.name = 'HistoryError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** A short, single-line rendering of a value for error messages. */
export function show(value: unknown): string {
  let s: string;
  if (value === undefined) return 'nothing';
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The longest error line faultline prints; past it the middle is cut (`--debug` has the rest). */
export const MAX_ERROR_LINE = 300;

/**
 * `text` as one printable line of at most `max` characters: control characters (a newline in a
 * field, a terminal escape) written as JSON writes them, and a long middle (a 5 MB field quoted
 * whole) cut, keeping the start (file, line, field) and the end (what was expected). Every error
 * line faultline prints goes through here (issue 20).
 */
export function oneLine(text: string, max = MAX_ERROR_LINE): string {
  let s = text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (s.length > max) {
    const tail = Math.floor(max / 5);
    s = `${s.slice(0, max - tail - 1)}…${s.slice(s.length - tail)}`;
  }
  return s;
}
