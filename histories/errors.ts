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
