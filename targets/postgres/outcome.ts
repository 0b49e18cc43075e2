// What a failed transaction attempt means for the history. The facts it rests on:
// - PostgreSQL commits only on COMMIT, so anything that stops a transaction before COMMIT was
//   sent (an error, a lost connection, our own timeout, which drops the connection) leaves it
//   uncommitted: `fail`.
// - An ERROR answering COMMIT means it rolled back (failures after the commit record is written
//   are PANICs, which end the connection instead): `fail`.
// - Once COMMIT is sent and no answer comes (the connection is lost, a FATAL ends the session,
//   we time out) the transaction may have committed: `info` — unless it only read, when
//   committing or not changes nothing: `fail`.

/** Names for the SQLSTATEs a test meets often; others are reported as `sqlstate-XXXXX`. */
const SQLSTATE_NAMES: Readonly<Record<string, string>> = {
  '40001': 'serialization-failure',
  '40P01': 'deadlock',
  '57014': 'statement-timeout',
  '55P03': 'lock-not-available',
  '57P01': 'admin-shutdown',
  '57P02': 'crash-shutdown',
  '57P03': 'cannot-connect-now',
  '53300': 'too-many-connections',
  '08006': 'connection-failure',
};

/** An error PostgreSQL sent (pg's DatabaseError), told apart by shape rather than class. */
export interface ServerError {
  message: string;
  code: string;
  severity: string;
}

export function isServerError(e: unknown): e is ServerError {
  if (!(e instanceof Error)) return false;
  const x = e as Error & { code?: unknown; severity?: unknown };
  return typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) && typeof x.severity === 'string';
}

/** `serialization-failure (40001): could not serialize access …` */
export function describeServerError(e: ServerError): string {
  return `${SQLSTATE_NAMES[e.code] ?? `sqlstate-${e.code}`} (${e.code}): ${e.message}`;
}

/** Thrown by the client when the runner's signal (or its own timeout) gives up on an op. */
export class GaveUp extends Error {
  override readonly name = 'GaveUp';
}

/**
 * The transaction certainly did not commit, for a reason the server did not send as an error:
 * no connection could be made, or COMMIT answered ROLLBACK.
 */
export class NotCommitted extends Error {
  override readonly name = 'NotCommitted';
}

export interface Stage {
  /** COMMIT was handed to the connection (it may have reached the server). */
  commitSent: boolean;
  /** The transaction only reads. */
  readOnly: boolean;
}

export interface Verdict {
  type: 'fail' | 'info';
  error: string;
}

/** How a transaction that threw `e` at `stage` completes. */
export function verdictOf(e: unknown, stage: Stage): Verdict {
  const unknownOutcome = stage.commitSent && !stage.readOnly;
  if (isServerError(e)) {
    const error = describeServerError(e);
    // A plain ERROR aborts the transaction (at COMMIT too); FATAL and PANIC end the session, and
    // one during COMMIT leaves its outcome open.
    if (e.severity === 'ERROR') return { type: 'fail', error };
    return { type: unknownOutcome ? 'info' : 'fail', error };
  }
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof NotCommitted) return { type: 'fail', error: message };
  if (e instanceof GaveUp) return { type: unknownOutcome ? 'info' : 'fail', error: `${message}${stage.commitSent ? ' (after COMMIT was sent)' : ' (before COMMIT was sent)'}` };
  return { type: unknownOutcome ? 'info' : 'fail', error: `connection-lost: ${message}${stage.commitSent ? ' (after COMMIT was sent)' : ' (before COMMIT was sent)'}` };
}
