// Ops and states in words, for evidence a person reads.
import type { Op } from '../../histories/op.js';
import type { Model } from './model.js';
import type { Call } from './prepare.js';
import { show } from './values.js';

export function describeCall(c: Call): string {
  const who = `process ${c.op.process}`;
  const arg = c.op.value === null || c.op.value === undefined ? '' : ` ${show(c.op.value)}`;
  if (!c.done) return `${who}'s ${c.op.f}${arg} (outcome unknown)`;
  const out = c.done.value;
  if (c.done.result === false) return `${who}'s ${c.op.f}${arg}, which returned false`;
  if (c.op.value === null || c.op.value === undefined || !sameText(c.op.value, out)) {
    return `${who}'s ${c.op.f}${arg} returning ${show(out)}`;
  }
  return `${who}'s ${c.op.f}${arg}`;
}

function sameText(a: unknown, b: unknown): boolean {
  return show(a) === show(b);
}

export function describeState(model: Model<unknown>, s: unknown): string {
  return model.describe ? model.describe(s) : show(s);
}

export function where(op: Op, line: number | undefined): string {
  return line === undefined ? `index ${op.index}` : `index ${op.index}, line ${line}`;
}
