// What the network faults leave on a remote host: the partition fault's chain, emptied, and the
// jump to it from INPUT (nemesis/partition.ts); the loss fault's chain and its jump from OUTPUT,
// and the link faults' qdisc (handle fa17:) on the host's interfaces (nemesis/link.ts). Inside a
// test's namespaces those go with the namespace; on a real machine they would stay, so the cluster
// removes them when it closes, and a node's lifeline removes them (healing any fault still in
// force) if faultline dies mid-fault.

/** nemesis/partition.ts's PARTITION_CHAIN (a test checks they agree; targets do not import the nemesis). */
export const PARTITION_CHAIN = 'FAULTLINE-PARTITION';
/** nemesis/link.ts's LOSS_CHAIN and QDISC_HANDLE. */
export const LOSS_CHAIN = 'FAULTLINE-LOSS';
export const QDISC_HANDLE = 'fa17:';

// $1: the run's tag (faultline:<runid>); then, optionally, a command to exec afterwards. A host
// without iptables has nothing to remove.
const SCRIPT = `
tag=$1; shift
if command -v iptables >/dev/null 2>&1; then
  while iptables -w -D INPUT -m comment --comment "$tag" -j ${PARTITION_CHAIN} 2>/dev/null; do :; done
  # The chains are shared by name: they go only when no other run's rule jumps to them.
  if ! iptables -w -S 2>/dev/null | grep -q -- "-j ${PARTITION_CHAIN}\$"; then
    iptables -w -F ${PARTITION_CHAIN} 2>/dev/null
    iptables -w -X ${PARTITION_CHAIN} 2>/dev/null
  fi
  iptables -w -S OUTPUT 2>/dev/null | sed -n "s/^-A OUTPUT -o \\([A-Za-z0-9_.@-]*\\) -m comment --comment \\"\\{0,1\\}$tag\\"\\{0,1\\} -j ${LOSS_CHAIN}\$/\\1/p" |
    while read -r dev; do iptables -w -D OUTPUT -o "$dev" -m comment --comment "$tag" -j ${LOSS_CHAIN} 2>/dev/null; done
  if ! iptables -w -S 2>/dev/null | grep -q -- "-j ${LOSS_CHAIN}\$"; then
    iptables -w -F ${LOSS_CHAIN} 2>/dev/null
    iptables -w -X ${LOSS_CHAIN} 2>/dev/null
  fi
fi
if command -v tc >/dev/null 2>&1; then
  for dev in $(ls /sys/class/net 2>/dev/null); do
    tc qdisc show dev "$dev" 2>/dev/null | grep -q "qdisc [a-z]* ${QDISC_HANDLE} root" && tc qdisc del dev "$dev" root handle ${QDISC_HANDLE} 2>/dev/null
  done
fi
[ $# -eq 0 ] || exec "$@"
`;

/** argv that removes run `tag`'s network faults from the host (partition and loss chains, qdiscs), then (if given) execs `then`. */
export function removeRemnantsArgv(tag: string, then: readonly string[] = []): string[] {
  return ['sh', '-c', SCRIPT, 'sh', tag, ...then];
}
