// How a command reaches a node (DESIGN.md, control/): on this machine, inside a network namespace,
// or over SSH. Commands are argument arrays, never shell strings built from data.

export interface ExecOptions {
  /** Ms before the command is killed and the call rejects. Default 10 000. */
  timeoutMs?: number;
  /** Text for the command's stdin. */
  input?: string;
  /** Resolve (not reject) on a non-zero exit. Default false. */
  allowFailure?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface Control {
  /** Where commands run, for messages: "local", "netns fl-ab12-n1", "ssh root@db1". */
  readonly where: string;
  /** Runs `command` (argv) there. Rejects with stderr's gist on a non-zero exit (unless allowFailure) or a timeout. */
  exec(command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** The argv that runs `command` there as a long-lived process the caller spawns itself (e.g. a node). */
  wrap(command: readonly string[]): string[];
}

/** Runs `fn` for every item at once; rejects with every failure named when any fails. */
export async function fanOut<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, name: (item: T) => string = String): Promise<R[]> {
  const settled = await Promise.allSettled(items.map(fn));
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${name(items[i])}: ${(s.reason as Error)?.message ?? String(s.reason)}`] : []));
  if (failures.length > 0) throw new Error(failures.join('; '));
  return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
}
