// What the join-based modes (crdt, multi-leader-vv) share besides anti-entropy: the actor name a
// node's run writes under, and reading interval options.
import { nameSafeId } from '../../control/ids.js';
import type { NodeContext } from './mode.js';

/**
 * The actor name of this run of the node. A node keeps its state in memory, so a restarted node
 * has lost its dots and counter entries; writing under a fresh name means it can never reuse a
 * dot with a different value, nor restart its counter entry below what peers already hold.
 */
export function incarnationName(ctx: NodeContext): string {
  return `${ctx.self}#${ctx.now().toString(36)}${nameSafeId(6)}`;
}

/** A positive number of milliseconds from the node's options, or `dflt` when it is not set. */
export function optionMs(ctx: NodeContext, name: string, dflt: number): number {
  const v = ctx.options[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`option ${name} must be a positive number of milliseconds, got ${JSON.stringify(v)}`);
  return v;
}
