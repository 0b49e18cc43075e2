// Anomalies as they are found: a few examples per type (each with a sentence a person can act on)
// and a count of all of them.
import { canonicalJson } from '../linearizable/values.js';
import { txnRecord, type Txns } from './txns.js';

export interface Anomaly {
  type: string;
  /** Why this is an anomaly, in one or two sentences. */
  sentence: string;
  /** `index` of every op involved. */
  ops: number[];
  [detail: string]: unknown;
}

export class Anomalies {
  readonly examples = new Map<string, Anomaly[]>();
  readonly counts = new Map<string, number>();
  constructor(readonly maxExamples = 8) {}

  add(a: Anomaly): void {
    this.counts.set(a.type, (this.counts.get(a.type) ?? 0) + 1);
    let list = this.examples.get(a.type);
    if (!list) this.examples.set(a.type, (list = []));
    if (list.length < this.maxExamples) list.push(a);
  }

  /** False once enough examples of `type` are kept: callers may skip building the next one. */
  wants(type: string): boolean {
    return (this.examples.get(type)?.length ?? 0) < this.maxExamples;
  }

  /** Counts an anomaly whose example is not kept. */
  count(type: string): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    if (!this.examples.has(type)) this.examples.set(type, []);
  }

  types(): string[] {
    return [...this.counts.keys()].sort();
  }
}

/** A transaction as evidence shows it: its op, and the name a sentence calls it by. */
export function txnEvidence(txns: Txns, t: number, name?: string): Record<string, unknown> {
  return { ...(name !== undefined ? { name } : {}), ...txnRecord(txns, t) };
}

/** A key as a sentence shows it: strings bare, anything else as JSON. */
export function showKey(k: unknown): string {
  return typeof k === 'string' ? k : canonicalJson(k);
}

/** A value in a sentence; lists in Elle's style, `[1 2 3]`, long ones elided in the middle. */
export function showValue(v: unknown): string {
  if (Array.isArray(v)) {
    const parts = v.length > 12 ? [...v.slice(0, 4).map(showValue), '…', ...v.slice(-4).map(showValue)] : v.map(showValue);
    return `[${parts.join(' ')}]`;
  }
  if (v === null || v === undefined) return 'nil';
  const s = canonicalJson(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** "the transaction at index 12 (process 3)" */
export function describeTxn(txns: Txns, t: number): string {
  const p = txns.process[t];
  return `the transaction at index ${txns.index[t]}${p >= 0 ? ` (process ${p})` : ''}`;
}
