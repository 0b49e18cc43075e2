// What the partition fault leaves on a remote host once healed: its chain, emptied, and the jump
// to it from INPUT (nemesis/partition.ts). Inside a test's namespaces those go with the namespace;
// on a real machine they would stay, so the cluster removes them when it closes, and a node's
// lifeline removes them (healing any partition still in force) if faultline dies mid-fault.

/** nemesis/partition.ts's PARTITION_CHAIN (a test checks they agree; targets do not import the nemesis). */
export const PARTITION_CHAIN = 'FAULTLINE-PARTITION';

// $1: the run's tag (faultline:<runid>); then, optionally, a command to exec afterwards. A host
// without iptables has nothing to remove.
const SCRIPT = `
tag=$1; shift
if command -v iptables >/dev/null 2>&1; then
  while iptables -w -D INPUT -m comment --comment "$tag" -j ${PARTITION_CHAIN} 2>/dev/null; do :; done
  iptables -w -F ${PARTITION_CHAIN} 2>/dev/null
  iptables -w -X ${PARTITION_CHAIN} 2>/dev/null
fi
[ $# -eq 0 ] || exec "$@"
`;

/** argv that removes the partition chain of run `tag` on the host, then (if given) execs `then`. */
export function removeRemnantsArgv(tag: string, then: readonly string[] = []): string[] {
  return ['sh', '-c', SCRIPT, 'sh', tag, ...then];
}
