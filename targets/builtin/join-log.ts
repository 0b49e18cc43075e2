// The durable log of a join-based mode (crdt, multi-leader-vv): an append-only JSON-lines file in
// the node's data dir, so a node killed with SIGKILL and started again has every update it
// acknowledged, under the same actor name (so it never reuses a dot).
//
// Lines: a snapshot `{"actor", "states": [[key, state], …]}` (the first line, written on open), then
// `{"u": update}` for each local update, written before the update is acknowledged, and
// `{"j": [key, state]}` for each peer state that changed a key. Replaying the lines in order through
// the same code rebuilds the same state: local updates are deterministic given the state before
// them and the actor. Peer states must be logged too, not only local updates: a remove deletes dots
// this node learnt from peers, and replaying it without them would remove nothing.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type LogRecord = { u: unknown } | { j: [string, unknown] };

export interface LogContents {
  /** The actor name the node wrote under; absent for a new node. */
  actor?: string;
  states: [string, unknown][];
  records: LogRecord[];
  /** Lines that could not be read (a write torn by a crash). */
  skipped: number;
}

export class JoinLog {
  private fd = -1;

  private constructor(private readonly file: string | undefined) {}

  /** Opens `dir/name` (nothing when dir is undefined: a memory-only node) and reads what it holds. */
  static open(dir: string | undefined, name: string): { log: JoinLog; contents: LogContents } {
    const contents: LogContents = { states: [], records: [], skipped: 0 };
    if (dir === undefined) return { log: new JoinLog(undefined), contents };
    mkdirSync(dir, { recursive: true });
    const file = join(dir, name);
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch {
          contents.skipped++;
          continue;
        }
        if (typeof rec.actor === 'string' && Array.isArray(rec.states)) {
          contents.actor = rec.actor;
          contents.states = rec.states as [string, unknown][];
          contents.records = [];
        } else if ('u' in rec) contents.records.push({ u: rec.u });
        else if (Array.isArray(rec.j) && rec.j.length === 2 && typeof rec.j[0] === 'string') contents.records.push({ j: rec.j as [string, unknown] });
        else contents.skipped++;
      }
    }
    return { log: new JoinLog(file), contents };
  }

  get durable(): boolean {
    return this.file !== undefined;
  }

  /** Rewrites the file as one snapshot line (a new file renamed over the old), then appends to it. */
  snapshot(actor: string, states: Iterable<[string, unknown]>): void {
    if (this.file === undefined) return;
    this.close();
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${JSON.stringify({ actor, states: [...states] })}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
  }

  /** Records a local update; call before acknowledging it. */
  update(u: unknown): void {
    this.append({ u });
  }

  /** Records a peer's state of `key` that changed this node's. */
  joined(key: string, state: unknown): void {
    this.append({ j: [key, state] });
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private append(rec: LogRecord): void {
    if (this.fd < 0) return;
    writeSync(this.fd, `${JSON.stringify(rec)}\n`);
  }
}
