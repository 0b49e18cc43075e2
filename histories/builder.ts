// Collects ops as a reader finds them, remembering each op's source line, and builds the History.
import { History } from './history.js';
import { normalizeOp } from './normalize.js';
import type { Op } from './op.js';

export class HistoryBuilder {
  readonly ops: Op[] = [];
  private lines = new Int32Array(1024);
  readonly warnings: string[] = [];

  constructor(readonly file: string) {}

  /** Normalizes and validates `raw`, found at `line`, and appends it. */
  add(raw: unknown, line: number): Op {
    const op = normalizeOp(raw, this.ops.length, this.file, line);
    this.push(op, line);
    return op;
  }

  /** Appends an op the caller has already normalized. */
  push(op: Op, line: number): void {
    const n = this.ops.length;
    if (n === this.lines.length) {
      const grown = new Int32Array(n * 2);
      grown.set(this.lines);
      this.lines = grown;
    }
    this.lines[n] = line;
    this.ops.push(op);
  }

  build(): History {
    return new History(this.ops, {
      file: this.file,
      lines: this.lines.slice(0, this.ops.length),
      warnings: this.warnings,
    });
  }
}
