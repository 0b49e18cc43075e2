// A node's durable key-value state: a map in memory and an append-only JSON-lines file in the
// node's data dir. Every change is written (one write(2) per change, before the change is visible
// or acknowledged) so a node killed with SIGKILL and started again recovers everything it
// acknowledged. Ops are logged as ops and replayed through the state machine (a set add costs a
// line, not a copy of the set); explicit writes (replicated values, snapshots) as values. Opening
// compacts the file to one snapshot line.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeContext, OpReply, OpRequest } from './mode.js';
import { StagedKv, type KvSource } from './kv.js';
import { applyOp } from './state-machine.js';

/** One line of the file. */
interface StoreRecord {
  /** An op applied through the state machine (replayed on open), by the view of `node` when set. */
  op?: OpRequest;
  node?: string;
  /** The version every key the op wrote gets. */
  ver?: unknown;
  /** Explicit writes: [key, value] or [key, value, version]. */
  w?: [string, unknown, unknown?][];
  /** The log position this record brings the store to. */
  i?: number;
  /** The state is cleared before this record's writes. */
  reset?: true;
}

export interface AppliedOp {
  reply: OpReply;
  /** The keys the op changed, with their new values ([] for reads and failed ops). */
  writes: [string, unknown][];
}

export class DurableStore implements KvSource {
  private readonly map = new Map<string, unknown>();
  private readonly versions = new Map<string, unknown>();
  private fd = -1;
  /** The highest log position recorded (leader modes); 0 when none. */
  index = 0;
  /** Lines of the file that could not be read on open (a torn final write). */
  skippedLines = 0;

  /** A store kept in `dir/state.jsonl`, or only in memory without a dir. */
  constructor(readonly dir?: string) {
    if (dir === undefined) return;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'state.jsonl');
    if (existsSync(file)) this.replay(readFileSync(file, 'utf8'));
    this.compact(file);
  }

  get(k: string): unknown {
    return this.map.get(k);
  }

  keys(): Iterable<string> {
    return this.map.keys();
  }

  get size(): number {
    return this.map.size;
  }

  /** The version recorded with the key's value (multi-leader modes), if any. */
  version(k: string): unknown {
    return this.versions.get(k);
  }

  /** Every key with its value and version. */
  *entries(): Iterable<[string, unknown, unknown]> {
    for (const [k, v] of this.map) yield [k, v, this.versions.get(k)];
  }

  /**
   * Applies a client op through the state machine and, when it changed anything, records it
   * (with the version its keys get and the log position it takes) before the change shows.
   */
  apply(req: OpRequest, opts: { node?: string; version?: unknown; index?: number } = {}): AppliedOp {
    const staged = new StagedKv(this, opts.node);
    const reply = applyOp(staged, req);
    const writes = staged.entries();
    if (writes.length === 0) return { reply, writes };
    const rec: StoreRecord = { op: { f: req.f, key: req.key, value: req.value } };
    if (opts.node !== undefined) rec.node = opts.node;
    if (opts.version !== undefined) rec.ver = opts.version;
    if (opts.index !== undefined) rec.i = opts.index;
    this.append(rec);
    this.commit(writes, opts.version, opts.index);
    return { reply, writes };
  }

  /** Records explicit writes (replicated values), each with its own version when given. */
  write(writes: [string, unknown, unknown?][], index?: number): void {
    if (writes.length === 0 && index === undefined) return;
    const rec: StoreRecord = { w: writes };
    if (index !== undefined) rec.i = index;
    this.append(rec);
    for (const [k, v, ver] of writes) {
      this.map.set(k, v);
      if (ver !== undefined && ver !== null) this.versions.set(k, ver);
    }
    if (index !== undefined) this.index = index;
  }

  /** Replaces the whole state (a snapshot from a leader). */
  reset(writes: [string, unknown, unknown?][], index: number): void {
    this.append({ reset: true, w: writes, i: index });
    this.map.clear();
    this.versions.clear();
    for (const [k, v, ver] of writes) {
      this.map.set(k, v);
      if (ver !== undefined && ver !== null) this.versions.set(k, ver);
    }
    this.index = index;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private commit(writes: [string, unknown][], version: unknown, index: number | undefined): void {
    for (const [k, v] of writes) {
      this.map.set(k, v);
      if (version !== undefined) this.versions.set(k, version);
    }
    if (index !== undefined) this.index = index;
  }

  private append(rec: StoreRecord): void {
    if (this.fd < 0) return;
    writeSync(this.fd, `${JSON.stringify(rec)}\n`);
  }

  private replay(text: string): void {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let rec: StoreRecord;
      try {
        rec = JSON.parse(line) as StoreRecord;
      } catch {
        this.skippedLines++;
        continue;
      }
      if (rec.reset) {
        this.map.clear();
        this.versions.clear();
      }
      if (rec.op) {
        const staged = new StagedKv(this, rec.node);
        applyOp(staged, rec.op);
        this.commit(staged.entries(), rec.ver, undefined);
      }
      if (rec.w) {
        for (const [k, v, ver] of rec.w) {
          this.map.set(k, v);
          if (ver !== undefined && ver !== null) this.versions.set(k, ver);
        }
      }
      if (rec.i !== undefined) this.index = rec.i;
    }
  }

  /** Rewrites the file as one snapshot line (atomically: a new file renamed over the old). */
  private compact(file: string): void {
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, `${JSON.stringify({ reset: true, w: [...this.entries()].map(([k, v, ver]) => (ver === undefined ? [k, v] : [k, v, ver])), i: this.index })}\n`);
    closeSync(fd);
    renameSync(tmp, file);
    this.fd = openSync(file, 'a');
  }
}

/** The node's data dir, which the server adds to the context it gives modes (absent in tests). */
export function dataDirOf(ctx: NodeContext): string | undefined {
  const dir = (ctx as NodeContext & { dataDir?: unknown }).dataDir;
  return typeof dir === 'string' ? dir : undefined;
}

/** The store a mode keeps its state in: durable in the node's data dir, in memory without one. */
export function openStore(ctx: NodeContext): DurableStore {
  const store = new DurableStore(dataDirOf(ctx));
  if (store.skippedLines > 0) ctx.log(`store: skipped ${store.skippedLines} unreadable line(s) (a write torn by a crash)`);
  ctx.log(`store: ${store.size} key(s) at position ${store.index}${store.dir ? ` from ${store.dir}` : ' (memory only)'}`);
  return store;
}
