// The transactional history generators: deterministic, well-formed, and strict serializable by
// construction, checked here by replaying the serial order they report against an independent
// model of the database, not against the generator's own state.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generateListAppend,
  generateRwRegister,
  writeJsonl,
  type ListAppendOptions,
  type Mop,
  type RwRegisterOptions,
  type SerializedTxn,
} from '../bench/generate-txn.js';
import { History } from '../histories/history.js';
import type { Op } from '../histories/op.js';
import { readHistoryFile } from '../histories/read.js';
import { formatOpJsonl } from '../histories/write-jsonl.js';

const tmp = mkdtempSync(join(tmpdir(), 'faultline-generate-txn-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Workload = 'list-append' | 'rw-register';

function run(workload: Workload, o: ListAppendOptions & RwRegisterOptions): { ops: Op[]; serial: SerializedTxn[] } {
  const serial: SerializedTxn[] = [];
  const gen = workload === 'list-append' ? generateListAppend : generateRwRegister;
  const ops = [...gen({ ...o, onSerialize: (t) => serial.push(t) })];
  return { ops, serial };
}

const mops = (op: Op) => op.value as Mop[];

/** Collects violations, so that a loop over 40k ops costs one assertion rather than one per op. */
function violations(): { found: string[]; check(ok: boolean, what: () => string): void } {
  const found: string[] = [];
  return { found, check: (ok, what) => void (ok || found.length >= 10 || found.push(what())) };
}

/** The invocation and completion of each transaction, by the invocation's index. */
function pairs(h: History): Map<number, { inv: Op; done: Op }> {
  const out = new Map<number, { inv: Op; done: Op }>();
  h.ops.forEach((op, i) => {
    if (op.type !== 'invoke') return;
    const done = h.completion(i);
    if (done) out.set(op.index, { inv: op, done });
  });
  return out;
}

/**
 * Replays `serial` on a fresh database (lists or registers) using only the invocations' micro-ops,
 * and checks every ok completion's reads (and what the generator reports each transaction saw)
 * against it. Returns how many reads were checked.
 */
function replay(workload: Workload, h: History, serial: SerializedTxn[]): number {
  const byInv = pairs(h);
  const lists = new Map<number, number[]>();
  const registers = new Map<number, number>();
  let checked = 0;
  const bad = violations();
  for (const t of serial) {
    const { inv, done } = byInv.get(t.index)!;
    const invMops = mops(inv);
    const seen = done.type === 'ok' ? mops(done) : undefined;
    invMops.forEach(([f, k, v], m) => {
      if (f === 'append') (lists.get(k) ?? lists.set(k, []).get(k)!).push(v as number);
      else if (f === 'w') registers.set(k, v as number);
      else {
        const expected = workload === 'list-append' ? [...(lists.get(k) ?? [])] : (registers.get(k) ?? null);
        const want = [f, k, expected];
        bad.check(isDeepStrictEqual(t.value[m], want), () => `txn ${t.index} mop ${m}: generator executed ${JSON.stringify(t.value[m])}, replay says ${JSON.stringify(want)}`);
        if (seen) {
          bad.check(isDeepStrictEqual(seen[m], want), () => `ok txn ${t.index} mop ${m}: saw ${JSON.stringify(seen[m])}, replay says ${JSON.stringify(want)}`);
          checked++;
        }
      }
    });
  }
  expect(bad.found).toEqual([]);
  return checked;
}

describe.each<Workload>(['list-append', 'rw-register'])('%s generator', (workload) => {
  const write = workload === 'list-append' ? 'append' : 'w';
  const base = { txns: 20_000, processes: 8, activeKeys: 6, maxAppendsPerKey: 25, maxWritesPerKey: 25, crashRate: 0.03, failRate: 0.05, seed: 7 };
  const { ops, serial } = run(workload, base);
  const h = new History(ops); // throws on any violation of the process rules

  it('is deterministic in its seed', () => {
    const again = run(workload, base);
    expect(again.ops).toEqual(ops);
    expect(again.serial).toEqual(serial);
    expect(run(workload, { ...base, seed: 8 }).ops).not.toEqual(ops);
  });

  it('yields a well-formed history: dense indices, strictly increasing times, every txn completed', () => {
    expect(h.invocationCount).toBe(base.txns);
    expect(ops.length).toBe(2 * base.txns);
    const bad = violations();
    ops.forEach((op, i) => {
      bad.check(op.index === i && op.f === 'txn', () => `op ${i}: index ${op.index}, f ${op.f}`);
      bad.check(Number.isInteger(op.time) && (i === 0 || op.time! > ops[i - 1].time!), () => `op ${i}: time ${op.time} after ${ops[i - 1]?.time}`);
    });
    for (const { inv, done } of pairs(h).values()) {
      const a = mops(inv);
      const b = mops(done);
      const at = () => `txn ${inv.index}: ${JSON.stringify(inv.value)} -> ${JSON.stringify(done.value)}`;
      bad.check(a.length === 4, at);
      for (const [f, k, v] of a) bad.check((f === write || f === 'r') && Number.isInteger(k) && (f !== 'r' || v === null), at);
      if (done.type !== 'ok') bad.check(isDeepStrictEqual(b, a), at); // fail and info carry the invocation's value
      else {
        bad.check(b.length === a.length, at);
        b.forEach((mop, m) => {
          bad.check(mop[0] === a[m][0] && mop[1] === a[m][1], at);
          if (mop[0] !== 'r') bad.check(mop[2] === a[m][2], at);
          else if (workload === 'list-append') bad.check(Array.isArray(mop[2]) && mop[2].every(Number.isInteger), at);
          else bad.check(mop[2] === null || Number.isInteger(mop[2]), at);
        });
      }
    }
    expect(bad.found).toEqual([]);
  });

  it('serializes ok txns exactly once, fail txns never, each at a point inside its interval, in real-time order', () => {
    const byInv = pairs(h);
    const once = new Set<number>();
    let lastPosition = 0;
    let maxInvSoFar = -1;
    const bad = violations();
    for (const t of serial) {
      const { inv, done } = byInv.get(t.index)!;
      const at = () => `txn ${t.index} (${done.type}, completed at ${done.index}) serialized at ${t.position}`;
      bad.check(!once.has(t.index), () => `${at()} twice`);
      once.add(t.index);
      bad.check(done.type === t.type && t.process === inv.process, at);
      bad.check(inv.index < t.position && t.position <= done.index, () => `${at()}: outside its interval`);
      bad.check(t.position >= lastPosition, () => `${at()}: after a later point ${lastPosition}`);
      lastPosition = t.position;
      // No txn serialized earlier was invoked after this one completed.
      bad.check(maxInvSoFar < done.index, () => `${at()}: after txn invoked at ${maxInvSoFar}`);
      maxInvSoFar = Math.max(maxInvSoFar, inv.index);
    }
    for (const { inv, done } of byInv.values()) {
      if (done.type === 'ok') bad.check(once.has(inv.index), () => `ok txn ${inv.index} never took effect`);
      if (done.type === 'fail') bad.check(!once.has(inv.index), () => `failed txn ${inv.index} took effect`);
    }
    expect(bad.found).toEqual([]);
    const infos = [...byInv.values()].filter((p) => p.done.type === 'info');
    const applied = infos.filter((p) => once.has(p.inv.index)).length;
    expect(applied).toBeGreaterThan(0); // crashed txns took effect sometimes...
    expect(applied).toBeLessThan(infos.length); // ...and sometimes not
  });

  it('every ok read sees exactly the state at its serialization point, own earlier writes included', () => {
    const checked = replay(workload, h, serial);
    expect(checked).toBeGreaterThan(base.txns); // about two reads per ok txn
    // Reads of a key the same txn wrote earlier occur, and saw that write.
    let ownWrites = 0;
    const bad = violations();
    for (const op of ops) {
      if (op.type !== 'ok') continue;
      const written = new Map<number, number>();
      for (const [f, k, v] of mops(op)) {
        if (f !== 'r') written.set(k, v as number);
        else if (written.has(k)) {
          ownWrites++;
          const w = written.get(k)!;
          const last = workload === 'list-append' ? (v as number[]).at(-1) : v;
          bad.check(last === w, () => `txn ${op.index} read ${JSON.stringify(v)} of key ${k} after writing ${w}`);
        }
      }
    }
    expect(bad.found).toEqual([]);
    expect(ownWrites).toBeGreaterThan(100);
  });

  it('writes values unique per key, at most the cap per key, and retires keys for fresh larger ones', () => {
    const perKey = new Map<number, Set<number>>();
    const bad = violations();
    for (const op of ops) {
      if (op.type !== 'invoke') continue;
      for (const [f, k, v] of mops(op)) {
        if (f === 'r') continue;
        const vs = perKey.get(k) ?? perKey.set(k, new Set()).get(k)!;
        bad.check(!vs.has(v as number), () => `value ${v} of key ${k} written twice`);
        vs.add(v as number);
      }
    }
    for (const [k, vs] of perKey) bad.check(vs.size <= 25, () => `key ${k} has ${vs.size} values`);
    if (workload === 'list-append') {
      for (const op of ops) {
        if (op.type === 'ok') for (const [f, , v] of mops(op)) if (f === 'r') bad.check((v as number[]).length <= 25, () => `txn ${op.index} read ${(v as number[]).length} values`);
      }
    }
    const keys = [...perKey.keys()].sort((a, b) => a - b);
    expect(keys.length).toBeGreaterThan(100); // ~40k writes / 25 per key
    // Keys are integers from 0, one fresh key per retired one; at any time at most activeKeys of
    // them are live (used and below the cap), and no invocation mentions a key after its last value.
    const retired = [...perKey.values()].filter((vs) => vs.size === 25).length;
    expect(keys[0]).toBe(0);
    expect(keys.at(-1)).toBeLessThan(base.activeKeys + retired);
    const issued = new Map<number, number>();
    const live = new Set<number>();
    for (const op of ops) {
      if (op.type !== 'invoke') continue;
      for (const [f, k] of mops(op)) {
        bad.check((issued.get(k) ?? 0) < 25, () => `key ${k} used after retirement, at ${op.index}`);
        live.add(k);
        if (f !== 'r') {
          const n = (issued.get(k) ?? 0) + 1;
          issued.set(k, n);
          if (n === 25) live.delete(k);
        }
        bad.check(live.size <= base.activeKeys, () => `${live.size} live keys at ${op.index}`);
      }
    }
    expect(bad.found).toEqual([]);
  });

  it('crashes and fails at about the configured rates; a crashed process never returns, its thread goes on as process + processes', () => {
    const counts = { ok: 0, fail: 0, info: 0 };
    for (const op of ops) if (op.type !== 'invoke') counts[op.type]++;
    expect(counts.info / base.txns).toBeGreaterThan(base.crashRate * 0.8);
    expect(counts.info / base.txns).toBeLessThan(base.crashRate * 1.2);
    expect(counts.fail / base.txns).toBeGreaterThan(base.failRate * 0.8);
    expect(counts.fail / base.txns).toBeLessThan(base.failRate * 1.2);
    const crashed = new Set<number>();
    const current = Array.from({ length: base.processes }, (_, t) => t);
    const bad = violations();
    for (const op of ops) {
      const p = op.process as number;
      const thread = p % base.processes;
      // Each thread only ever uses its current process number.
      bad.check(p === current[thread], () => `op ${op.index}: process ${p}, but thread ${thread} is ${current[thread]}`);
      if (op.type === 'invoke') bad.check(!crashed.has(p), () => `crashed process ${p} invokes at ${op.index}`);
      if (op.type === 'info') {
        crashed.add(p);
        current[thread] = p + base.processes;
      }
    }
    expect(bad.found).toEqual([]);
    expect(crashed.size).toBe(counts.info);
  });

  it('is genuinely concurrent: most invocations find several other txns in flight', () => {
    let open = 0;
    let busy = 0;
    let maxOpen = 0;
    for (const op of ops) {
      if (op.type === 'invoke') {
        if (open >= 3) busy++;
        open++;
        maxOpen = Math.max(maxOpen, open);
      } else open--;
    }
    expect(busy / base.txns).toBeGreaterThan(0.5);
    expect(maxOpen).toBe(base.processes);
  });
});

describe('generating and writing', () => {
  it('streams: the first ops of an enormous history come at once', () => {
    const it = generateListAppend({ txns: 1e12 })[Symbol.iterator]();
    const first: Op[] = [];
    for (let i = 0; i < 100; i++) first.push(it.next().value as Op);
    expect(first.map((op) => op.index)).toEqual([...Array(100).keys()]);
  });

  it('uses the documented defaults', () => {
    const ops = [...generateListAppend({ txns: 3000, seed: 1 })];
    const procs = new Set(ops.map((op) => (op.process as number) % 10));
    expect(procs.size).toBe(10);
    const keys = new Set(ops.slice(0, 40).flatMap((op) => mops(op).map(([, k]) => k)));
    for (const k of keys) expect(k).toBeLessThan(10);
    expect(ops.every((op) => mops(op).length === 4)).toBe(true);
  });

  it('writeJsonl writes formatOpJsonl lines that read back as the same history', async () => {
    const ops = [...generateListAppend({ txns: 5000, seed: 3, failRate: 0.05, crashRate: 0.05 })];
    const file = join(tmp, 'h.jsonl');
    const { ops: n, bytes } = writeJsonl(ops, file);
    const text = readFileSync(file, 'utf8');
    expect(n).toBe(ops.length);
    expect(bytes).toBe(Buffer.byteLength(text));
    expect(text).toBe(ops.map((op) => formatOpJsonl(op) + '\n').join(''));
    const { history } = await readHistoryFile(file);
    expect(history.ops).toEqual(ops);
    // Ops with fields out of canonical order still come out canonical.
    const odd = [{ value: 1, f: 'write', process: 0, type: 'invoke', index: 0, extra: 'x' } as Op];
    writeJsonl(odd, file);
    expect(readFileSync(file, 'utf8')).toBe(formatOpJsonl(odd[0]) + '\n');
  });
});
