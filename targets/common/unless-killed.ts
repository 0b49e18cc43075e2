// A client that fails ops without sending them while its node is known to be down (killed by the
// nemesis and not yet started again). Through a forward or a proxy, a connection to a dead node is
// accepted and then cut off, which would look like an unknown outcome (info); an op never sent
// certainly did not happen (fail). The fail comes after a short pause, as a refused connection
// would: without it a thread with no rate limit spins on a killed node, filling the history.
import type { Op } from '../../histories/op.js';
import type { Client, InvokeOptions } from '../types.js';

/** How long an op on a killed node takes to fail. */
export const DOWN_FAIL_MS = 50;

export class UnlessKilled implements Client {
  readonly node: string;
  constructor(
    private readonly inner: Client,
    private readonly killed: () => boolean,
  ) {
    this.node = inner.node;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  async invoke(op: Op, options?: InvokeOptions): Promise<Op> {
    if (!this.killed()) return this.inner.invoke(op, options);
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, DOWN_FAIL_MS);
      function done() {
        clearTimeout(t);
        options?.signal?.removeEventListener('abort', done);
        resolve();
      }
      options?.signal?.addEventListener('abort', done, { once: true });
    });
    return { ...op, type: 'fail', error: `${this.node}: down (killed by the nemesis); not sent` };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
