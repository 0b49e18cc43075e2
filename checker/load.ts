// Checkers by name, loading only the module of the one asked for: `faultline check` needs one
// checker, and importing all of them (the registry) costs tens of milliseconds at start-up.
// Names that are not built in (checkers a library user registered) come from the registry.
import type { Checker } from './types.js';

const builtin: Record<string, () => Promise<Checker>> = {
  stats: async () => (await import('./stats.js')).stats,
  perf: async () => (await import('./perf.js')).perf,
  linearizable: async () => (await import('./linearizable/index.js')).linearizable,
  sequential: async () => (await import('./sequential/index.js')).sequential,
  'list-append': async () => (await import('./txn/index.js')).listAppend,
  'rw-register': async () => (await import('./txn/index.js')).rwRegister,
  causal: async () => (await import('./causal/index.js')).causal,
  session: async () => (await import('./session.js')).session,
  staleness: async () => (await import('./staleness.js')).staleness,
  set: async () => (await import('./set.js')).set,
  'set-full': async () => (await import('./set.js')).setFull,
  convergence: async () => (await import('./convergence.js')).convergence,
  'replica-diff': async () => (await import('./merkle.js')).replicaDiff,
  counter: async () => (await import('./counter.js')).counter,
  bank: async () => (await import('./bank.js')).bank,
  queue: async () => (await import('./queue.js')).queue,
  'total-queue': async () => (await import('./queue.js')).totalQueue,
  'unique-ids': async () => (await import('./unique-ids.js')).uniqueIds,
};

/** The names loadChecker knows without the registry (a test keeps them equal to it). */
export const BUILTIN_CHECKERS: readonly string[] = Object.keys(builtin);

/** The checker called `name`: a built-in one by its own module, any other from the registry. */
export async function loadChecker(name: string): Promise<Checker> {
  const load = Object.hasOwn(builtin, name) ? builtin[name] : undefined;
  if (load) return load();
  return (await import('./registry.js')).getChecker(name);
}
