// The crdt replication mode: every key holds one CRDT (options.crdt picks the type for the whole
// cluster: g-counter, pn-counter or or-set). Every node applies updates locally and answers at
// once, so it stays available under any partition; Merkle-tree anti-entropy (anti-entropy.ts)
// joins the replicas' states in the background, every options.antiEntropyMs. Once faults heal and
// enough rounds have passed, every node holds the join of all updates and reads the same value.
//
// Ops (docs/workloads.md): counters take `add` (value: the amount) and `read`; the or-set takes
// `add` and `remove` (value: the element) and `read` (the elements, ascending). A key left out is
// the default object. A negative add on a g-counter fails: it cannot be applied without breaking
// the type's monotonicity, so it certainly did not happen. With a data dir every acknowledged
// update and every state learnt from a peer is logged first (join-log.ts), so a killed node comes
// back with its state and its actor name.
import { canonicalJson } from '../../../base/json.js';
import { AntiEntropy } from '../anti-entropy.js';
import { CRDT_NAMES, GCounter, ORSet, PNCounter, crdtFromJson, emptyCrdt, joinCrdt, type Crdt, type CrdtName } from '../crdt.js';
import { JoinLog, type LogContents } from '../join-log.js';
import { JoinableStore } from '../joinable-store.js';
import type { Mode, ModeFactory, NodeContext, OpReply, OpRequest } from '../mode.js';
import { incarnationName, optionMs } from '../mode-support.js';
import { dataDirOf } from '../store.js';
import { actorId } from '../vector-clock.js';

const DEFAULT_CRDT: CrdtName = 'pn-counter';
const DEFAULT_ANTI_ENTROPY_MS = 200;

function crdtOption(ctx: NodeContext): CrdtName {
  const v = ctx.options.crdt;
  if (v === undefined) {
    ctx.log(`crdt mode: options.crdt not set, serving ${DEFAULT_CRDT}`);
    return DEFAULT_CRDT;
  }
  if (!CRDT_NAMES.includes(v as CrdtName)) throw new Error(`crdt mode: options.crdt must be one of ${CRDT_NAMES.join(', ')}, got ${JSON.stringify(v)}`);
  return v as CrdtName;
}

const fail = (error: string) => ({ reply: { type: 'fail', error } as OpReply, changed: false });

class CrdtMode implements Mode {
  private readonly type: CrdtName;
  private readonly actorName: string;
  private readonly actor: number;
  private readonly store: JoinableStore<Crdt>;
  private readonly log: JoinLog;
  private readonly antiEntropy: AntiEntropy;
  private readonly intervalMs: number;

  constructor(private readonly ctx: NodeContext) {
    this.type = crdtOption(ctx);
    this.intervalMs = optionMs(ctx, 'antiEntropyMs', DEFAULT_ANTI_ENTROPY_MS);
    const { log, contents } = JoinLog.open(dataDirOf(ctx), 'crdt.jsonl');
    this.log = log;
    this.actorName = contents.actor ?? incarnationName(ctx);
    this.actor = actorId(this.actorName);
    const type = this.type;
    const store = new JoinableStore<Crdt>({
      encode: (_key, s) => s.toJson(),
      decode: (_key, json, where) => crdtFromJson(type, json, where),
      join: joinCrdt,
    });
    this.store = store;
    this.recover(contents);
    this.antiEntropy = new AntiEntropy(ctx, {
      version: () => store.version(),
      encodedStates: () => store.encodedStates(),
      encodedState: (k) => store.encodedState(k),
      joinEncoded: (k, s) => {
        if (store.joinEncoded(k, s)) log.joined(k, s);
      },
    });
    this.antiEntropy.start(this.intervalMs);
    ctx.log(`crdt mode: ${type}, actor ${this.actorName}, anti-entropy every ${this.intervalMs} ms, ${log.durable ? 'durable' : 'memory only'}`);
  }

  /** Replays the data dir's log (nothing for a new or memory-only node) and compacts it. */
  private recover(contents: LogContents): void {
    try {
      for (const [k, s] of contents.states) this.store.joinEncoded(k, s);
      for (const r of contents.records) {
        if ('u' in r) this.apply(r.u as OpRequest);
        else this.store.joinEncoded(r.j[0], r.j[1]);
      }
    } catch (e) {
      throw new Error(`crdt mode: cannot recover the node's ${this.type} state from its data dir: ${(e as Error).message}`);
    }
    if (contents.skipped > 0) this.ctx.log(`crdt mode: skipped ${contents.skipped} unreadable log line(s) (a write torn by a crash)`);
    if (contents.actor !== undefined) this.ctx.log(`crdt mode: recovered ${this.store.size} key(s)`);
    this.log.snapshot(this.actorName, this.store.encodedStates());
  }

  private stateOf(key: string): Crdt {
    return this.store.get(key) ?? emptyCrdt(this.type);
  }

  async handle(req: OpRequest): Promise<OpReply> {
    const { reply, changed } = this.apply(req);
    // Durable before acknowledged.
    if (changed) this.log.update(req.key === undefined ? { f: req.f, value: req.value } : { f: req.f, key: req.key, value: req.value });
    return reply;
  }

  private apply(req: OpRequest): { reply: OpReply; changed: boolean } {
    const key = canonicalJson(req.key ?? null);
    const serves = this.type === 'or-set' ? 'add, remove and read' : 'add and read';
    const done = (changed: boolean): { reply: OpReply; changed: boolean } => ({ reply: { type: 'ok', value: req.value }, changed });
    switch (req.f) {
      case 'read': {
        const s = this.store.get(key);
        return { reply: { type: 'ok', value: s === undefined ? (this.type === 'or-set' ? [] : 0) : s.value() }, changed: false };
      }
      case 'add': {
        const s = this.stateOf(key);
        if (s instanceof ORSet) {
          if (req.value === undefined) return fail('or-set add: the op has no element (value)');
          s.add(this.actor, req.value);
        } else {
          const n = req.value;
          if (typeof n !== 'number' || !Number.isFinite(n)) return fail(`${this.type} add: the amount must be a finite number, got ${canonicalJson(n ?? null)}`);
          if (s instanceof GCounter && n < 0) return fail(`g-counter add: a G-Counter only grows, so it cannot add ${n} (use the pn-counter for decrements)`);
          (s as GCounter | PNCounter).add(this.actor, n);
        }
        this.store.set(key, s);
        return done(true);
      }
      case 'remove': {
        const s = this.stateOf(key);
        if (!(s instanceof ORSet)) return fail(`${this.type}: remove needs the or-set; this cluster serves ${serves}`);
        if (req.value === undefined) return fail('or-set remove: the op has no element (value)');
        // Removing an element this node has not seen added is a no-op: it removes the adds it observed, none.
        const removed = s.remove(req.value);
        if (removed) this.store.set(key, s);
        return done(removed);
      }
      default:
        return fail(`crdt mode (${this.type}) serves ${serves}, not ${JSON.stringify(req.f)}`);
    }
  }

  async peer(from: string, message: unknown): Promise<unknown> {
    const reply = this.antiEntropy.handle(from, message);
    if (reply === undefined) throw new Error(`crdt mode: unknown message from ${from}`);
    return reply;
  }

  status(): Record<string, unknown> {
    return { mode: 'crdt', crdt: this.type, actor: this.actorName, durable: this.log.durable, keys: this.store.size, antiEntropyMs: this.intervalMs, antiEntropy: { ...this.antiEntropy.stats } };
  }
}

export const create: ModeFactory = (ctx) => new CrdtMode(ctx);
