// What the built-in store needs to know about the workload it serves: `read`, `add` and a txn's
// `r` mean different things in different workloads (targets/builtin/state-machine.ts), so each
// node is told the workload's name. Other targets ignore options they do not know.
export function builtinWorkload(name: string): Record<string, unknown> {
  return { workload: name };
}
