// Waiting in tests for something a real process does (exit, stop, appear), without sleeping blind.

/** Resolves once `pred()` holds; rejects naming `what` after `ms`. */
export async function until(what: string, pred: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
