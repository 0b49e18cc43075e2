// Writes JSONL histories. The writer is append-only and hands each op to the OS as it arrives, so
// the history of a run that dies is still on disk up to its last op.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { canonicalEntries } from './canonical.js';
import type { History } from './history.js';
import type { Op } from './op.js';

export function formatOpJsonl(op: Op): string {
  return JSON.stringify(Object.fromEntries(canonicalEntries(op)));
}

export function formatHistoryJsonl(h: History | readonly Op[]): string {
  const ops = 'ops' in h ? h.ops : h;
  let out = '';
  for (const op of ops) out += formatOpJsonl(op) + '\n';
  return out;
}

export class JsonlWriter {
  private fd: number | undefined;
  private written = 0;

  /** Opens `path` for appending (creating it). */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  get count(): number {
    return this.written;
  }

  /** Appends one op; it is in the OS's hands (survives our crash) when this returns. */
  append(op: Op): void {
    if (this.fd === undefined) throw new Error(`history writer for ${this.path} is closed`);
    writeSync(this.fd, formatOpJsonl(op) + '\n');
    this.written++;
  }

  /** Forces what was appended onto the disk (survives the machine's crash). */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
