// Sending a client op to the node that must run it (leader, shard owner) and turning what came
// back into an honest reply: an op that certainly never arrived, or one that only reads, failed;
// anything else that went wrong leaves it unknown.
import { isNotDelivered } from '../http-json.js';
import type { NodeContext, OpReply, OpRequest } from '../mode.js';
import { isReadOnly } from '../state-machine.js';

/** Option defaults shared by the modes (docs/builtin.md lists them). */
export const DEFAULT_REPLICATION_DELAY_MS = 100;
export const DEFAULT_REPLICATION_TIMEOUT_MS = 1000;

export function numberOption(ctx: NodeContext, name: string, fallback: number): number {
  const v = ctx.options[name];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
}

/** How long a forwarded op may take: longer than the target's own replication wait. */
export function forwardTimeoutMs(ctx: NodeContext): number {
  return numberOption(ctx, 'forwardTimeoutMs', numberOption(ctx, 'replicationTimeoutMs', DEFAULT_REPLICATION_TIMEOUT_MS) + 1000);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The reply for an op whose trip to `node` went wrong with `e`. */
export function replyForError(req: OpRequest, node: string, e: unknown): OpReply {
  const error = `${node}: ${errorText(e)}`;
  return isNotDelivered(e) || isReadOnly(req) ? { type: 'fail', error } : { type: 'info', error };
}

export function isOpReply(v: unknown): v is OpReply {
  const t = (v as OpReply | null)?.type;
  return t === 'ok' || t === 'fail' || t === 'info';
}

/** Sends `message` (which carries `req`) to `node` and expects an OpReply back. */
export async function sendOp(ctx: NodeContext, node: string, message: unknown, req: OpRequest, timeoutMs = forwardTimeoutMs(ctx)): Promise<OpReply> {
  let got: unknown;
  try {
    got = await ctx.send(node, message, timeoutMs);
  } catch (e) {
    return replyForError(req, node, e);
  }
  if (!isOpReply(got)) return { type: isReadOnly(req) ? 'fail' : 'info', error: `${node}: answered something that is not an op reply` };
  return got;
}
