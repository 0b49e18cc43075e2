// What `faultline check` shows while a long check runs: on a terminal, one line on stderr,
// rewritten in place and cleared before the results print (the file, its place among the files,
// the phase, how far along: bytes read, parts decided, configurations explored), only once the
// command has run for a couple of seconds. With --progress on something that is not a terminal,
// a plain line every few seconds instead. Checks are synchronous, so the line is drawn from the
// checkers' own calls (CheckProgress.phase), never from a timer; a call costs a clock read.
import type { CheckProgress } from '../checker/types.js';

export interface CheckProgressOptions {
  write(text: string): void;
  /** Rewrite one line in place (a terminal), or print plain lines. */
  tty: boolean;
  /** Nothing is shown before the command has run this long. Default 2000 ms. */
  delayMs?: number;
  /** Ms between redraws. Default 200 on a terminal, 5000 otherwise. */
  everyMs?: number;
  /** Width to cut the line to (a terminal's columns). Default 100. */
  columns?: number;
  now?: () => number;
}

const UNITS = ['B', 'kB', 'MB', 'GB'];

function bytes(n: number): string {
  let u = 0;
  while (n >= 1000 && u < UNITS.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${UNITS[u]}`;
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export class CheckProgressLine implements CheckProgress {
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private shown = false;
  private file = '';
  private fileIndex = 0;
  private files = 0;
  private name = '';
  private done: number | undefined;
  private total: number | undefined;
  private unit: string | undefined;

  constructor(private readonly o: CheckProgressOptions) {
    this.now = o.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** The file being checked now (1-based `index` of `count`). */
  setFile(file: string, index: number, count: number): void {
    this.file = file;
    this.fileIndex = index;
    this.files = count;
    this.phase('reading');
  }

  phase(name: string, done?: number, total?: number, unit?: string): void {
    this.name = name;
    this.done = done;
    this.total = total;
    this.unit = unit;
    const t = this.now();
    if (t - this.started < (this.o.delayMs ?? 2000)) return;
    if (t - this.lastDraw < (this.o.everyMs ?? (this.o.tty ? 200 : 5000))) return;
    this.lastDraw = t;
    this.draw(t);
  }

  /** The line as it would be drawn now (exported for tests through `draw`). */
  line(t = this.now()): string {
    const parts: string[] = [];
    if (this.file) parts.push(this.files > 1 ? `${this.file} (${this.fileIndex}/${this.files})` : this.file);
    let what = this.name;
    if (this.done !== undefined) {
      const of = (x: number) => (this.unit === 'bytes' ? bytes(x) : count(x));
      what += ` · ${of(this.done)}${this.total !== undefined ? ` of ${of(this.total)}` : ''}${this.unit && this.unit !== 'bytes' ? ` ${this.unit}` : ''}`;
      if (this.total) what += ` (${Math.floor((100 * this.done) / this.total)}%)`;
    }
    parts.push(what);
    parts.push(`${((t - this.started) / 1000).toFixed(0)} s`);
    return `faultline check: ${parts.join(' · ')}`;
  }

  private draw(t: number): void {
    const line = this.line(t);
    if (this.o.tty) this.o.write(`\r\x1b[K${line.slice(0, Math.max(20, (this.o.columns ?? 100) - 1))}`);
    else this.o.write(line + '\n');
    this.shown = true;
  }

  /** Before printing results: on a terminal, clears the line if one was drawn. */
  clear(): void {
    if (this.o.tty && this.shown) this.o.write('\r\x1b[K');
    this.shown = false;
    // Results in between: the next line waits its turn again rather than flashing at once.
    this.lastDraw = this.now();
  }
}
