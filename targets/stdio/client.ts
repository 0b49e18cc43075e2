// A client thread's adapter: one adapter process, started on open (or on the first invoke, and
// again after it exits), to which each op goes as a request line with a fresh id; replies are
// matched by id, in any order. Honest about outcomes:
// - the adapter's ok / fail / info is taken as it says (the adapter knows its system);
// - an op the adapter had when it exited, or whose wait was aborted (the runner's timeout), is
//   info — it may have happened; a late reply to an aborted op is dropped;
// - an op aborted before it was written is fail (the adapter never saw it).
// Output that breaks the contract (not JSON, not a reply, an id nobody asked) and an adapter that
// keeps exiting are not one op's problem: they reject with TargetFailed, which stops the run.
import type { Op } from '../../histories/op.js';
import { TargetFailed, type Client, type InvokeOptions } from '../types.js';
import type { AdapterEnding, AdapterProcess } from './adapter-process.js';
import type { NodeAdapters } from './node-adapters.js';
import { encodeRequest, parseReply, quoteLine, type AdapterReply, type ReplyType } from './protocol.js';

/** How long a closed adapter may take to exit after its stdin closes before it is SIGKILLed. */
export const DEFAULT_CLOSE_GRACE_MS = 2000;

interface Waiting {
  op: Op;
  resolve(done: Op): void;
  reject(e: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** One adapter process and the requests it holds. */
interface Instance {
  proc: AdapterProcess;
  nextId: number;
  waiting: Map<number, Waiting>;
  /** Ids whose op was given up on: a reply to one is dropped. */
  abandoned: Set<number>;
  /** Faultline is ending it (close, or after broken output): its exit is not a failure. */
  closing: boolean;
}

function completion(op: Op, type: ReplyType, value: unknown, error?: unknown): Op {
  const done: Op = { ...op, type, value };
  if (error === undefined) delete done.error;
  else done.error = error;
  return done;
}

/** The op's completion as the adapter gave it; an absent value stands for the request's value. */
export function completionOf(op: Op, r: AdapterReply): Op {
  const value = r.value === undefined ? (op.value === undefined ? null : op.value) : r.value;
  if (r.type === 'ok') return completion(op, 'ok', value);
  return completion(op, r.type, value, r.error === undefined ? 'the adapter gave no reason' : r.error);
}

export class StdioClient implements Client {
  private slot: number | undefined;
  private current: Instance | undefined;
  /** Set once the adapter broke the contract: every later invoke fails the same way. */
  private broken: string | undefined;
  private closed = false;

  constructor(
    readonly node: string,
    private readonly adapters: NodeAdapters,
    private readonly closeGraceMs = DEFAULT_CLOSE_GRACE_MS,
    private readonly onClose: (c: StdioClient) => void = () => {},
  ) {}

  /** The instance number (adapter-<n>.log) while the client holds one. */
  get instance(): number | undefined {
    return this.slot;
  }

  /** The running adapter's pid, if any. */
  get pid(): number | undefined {
    return this.current?.proc.hasExited ? undefined : this.current?.proc.pid;
  }

  async open(): Promise<void> {
    if (this.broken !== undefined) throw new TargetFailed(this.broken);
    if (this.closed) throw new Error(`stdio client of ${this.node} is closed`);
    this.ensure();
  }

  invoke(op: Op, options: InvokeOptions = {}): Promise<Op> {
    if (this.broken !== undefined) return Promise.reject(new TargetFailed(this.broken));
    if (this.closed) return Promise.reject(new Error(`stdio client of ${this.node} is closed`));
    const signal = options.signal;
    if (signal?.aborted) return Promise.resolve(completion(op, 'fail', op.value, 'aborted before it was sent to the adapter'));
    let inst: Instance;
    try {
      inst = this.ensure();
    } catch (e) {
      return Promise.reject(e);
    }
    const id = inst.nextId++;
    return new Promise<Op>((resolve, reject) => {
      const w: Waiting = { op, resolve, reject, signal };
      inst.waiting.set(id, w);
      if (signal) {
        w.onAbort = () => {
          if (inst.waiting.get(id) !== w) return;
          inst.waiting.delete(id);
          inst.abandoned.add(id);
          resolve(completion(op, 'info', op.value, 'aborted while the adapter had it'));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      // A write to an adapter that just died is lost; its exit then ends this op as info.
      inst.proc.write(encodeRequest(id, op));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const inst = this.current;
    this.current = undefined;
    if (inst) {
      inst.closing = true;
      this.settleAll(inst, (w) => w.resolve(completion(w.op, 'info', w.op.value, 'the client closed before the adapter answered')));
      await inst.proc.close(this.closeGraceMs);
    }
    if (this.slot !== undefined) this.adapters.release(this.slot);
    this.slot = undefined;
    this.onClose(this);
  }

  /** The running adapter, started if there is none. */
  private ensure(): Instance {
    if (this.current && !this.current.proc.hasExited) return this.current;
    this.slot ??= this.adapters.acquire();
    const slot = this.slot;
    let inst: Instance | undefined;
    const proc = this.adapters.start(slot, {
      onLine: (line, lineNo, utf8) => inst && this.onLine(inst, slot, line, lineNo, utf8),
      onOverlong: (lineNo) => inst && this.breakContract(inst, slot, `stdout line ${lineNo}: longer than the limit without a newline`),
    });
    inst = { proc, nextId: 1, waiting: new Map(), abandoned: new Set(), closing: false };
    this.current = inst;
    const started = inst;
    void proc.ended.then((ending) => this.onEnded(started, slot, ending));
    return inst;
  }

  private onLine(inst: Instance, slot: number, line: string, lineNo: number, utf8 = true): void {
    if (inst.closing) return;
    if (!utf8) return this.breakContract(inst, slot, `stdout line ${lineNo}: not valid UTF-8: ${quoteLine(line)}`);
    const r = parseReply(line);
    if ('problem' in r) return this.breakContract(inst, slot, `stdout line ${lineNo}: ${r.problem}`);
    const w = inst.waiting.get(r.id);
    if (w) {
      inst.waiting.delete(r.id);
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      this.adapters.answered();
      w.resolve(completionOf(w.op, r));
      return;
    }
    if (inst.abandoned.delete(r.id)) {
      this.adapters.answered();
      return;
    }
    const why = r.id < inst.nextId ? 'which was already answered' : 'which was never sent';
    this.breakContract(inst, slot, `stdout line ${lineNo}: a reply to id ${r.id}, ${why}`);
  }

  /** The adapter broke the contract: every op it holds fails the run, and it is killed. */
  private breakContract(inst: Instance, slot: number, what: string): void {
    if (inst.closing) return;
    inst.closing = true;
    const message = `${this.adapters.label(slot)}: ${what}`;
    this.broken ??= message;
    inst.proc.note(message);
    this.settleAll(inst, (w) => w.reject(new TargetFailed(message)));
    inst.proc.kill();
  }

  private onEnded(inst: Instance, slot: number, ending: AdapterEnding): void {
    if (this.current === inst) this.current = undefined;
    if (inst.closing) {
      this.settleAll(inst, (w) => w.resolve(completion(w.op, 'info', w.op.value, `adapter ended with ${ending.text} while closing`)));
      return;
    }
    const fatal = this.adapters.exited(slot, ending);
    const error = `adapter exited with ${ending.text} (${this.node}#${slot})`;
    this.settleAll(inst, (w) => (fatal !== undefined ? w.reject(new TargetFailed(fatal)) : w.resolve(completion(w.op, 'info', w.op.value, error))));
  }

  private settleAll(inst: Instance, settle: (w: Waiting) => void): void {
    const all = [...inst.waiting.values()];
    inst.waiting.clear();
    for (const w of all) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      settle(w);
    }
  }
}
