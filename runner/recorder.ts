// Records a run's ops: in memory for the checkers, and appended to history.jsonl as they happen.
// Lines are gathered for the rest of the current event-loop turn and handed to the OS in one
// write (one syscall per turn instead of per op); the file is fsynced once a second and at the
// end. So a run killed with SIGKILL loses at most the ops of the turn it died in, and the file
// never ends in half a line unless the machine itself goes down.
import { closeSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Op } from '../histories/op.js';

const FLUSH_BYTES = 1 << 16;

export class Recorder {
  readonly ops: Op[] = [];
  private fd: number | undefined;
  private buffer = '';
  private flushScheduled = false;
  private readonly syncTimer: NodeJS.Timeout;
  private dirty = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
    this.syncTimer = setInterval(() => this.syncSoon(), 1000);
    this.syncTimer.unref();
  }

  get count(): number {
    return this.ops.length;
  }

  /**
   * Appends `op`, whose index must be the next one and whose fields must already be in the
   * canonical order (the driver builds them so): the line is plain JSON.stringify, the cheapest
   * serialization there is, and the same text formatOpJsonl would give.
   */
  append(op: Op): void {
    this.ops.push(op);
    if (this.fd === undefined) return;
    this.buffer += JSON.stringify(op) + '\n';
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hands what is buffered to the OS. */
  flush(): void {
    this.flushScheduled = false;
    if (this.fd === undefined || this.buffer.length === 0) return;
    const text = this.buffer;
    this.buffer = '';
    writeSync(this.fd, text);
    this.dirty = true;
  }

  private syncSoon(): void {
    this.flush();
    if (this.fd === undefined || !this.dirty) return;
    this.dirty = false;
    fsync(this.fd, () => {});
  }

  /** Flushes, fsyncs and closes; ops appended afterwards stay in memory only. */
  close(): void {
    clearInterval(this.syncTimer);
    if (this.fd === undefined) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
