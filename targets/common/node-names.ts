// Node names from a target's `nodes` option (a count, or the names), checked the same way by
// every target: n1…nN for a count, distinct names of letters, digits, _ . or -.

export const NODE_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * The names `nodes` stands for (default n1 n2 n3). `target` names the target in errors; `max`
 * bounds a count; `error` builds the error (e.g. InputError for names a user gave).
 */
export function nodeNames(
  nodes: number | readonly string[] | undefined,
  target: string,
  o: { max: number; error?: (message: string) => Error },
): string[] {
  const fail = (m: string) => (o.error ?? ((x: string) => new Error(x)))(`${target} target: ${m}`);
  if (nodes === undefined) return ['n1', 'n2', 'n3'];
  if (typeof nodes === 'number') {
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > o.max) throw fail(`nodes must be an integer from 1 to ${o.max}, got ${nodes}`);
    return Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  }
  if (nodes.length === 0) throw fail('nodes must name at least one node');
  for (const n of nodes) if (!NODE_NAME.test(n)) throw fail(`node name ${JSON.stringify(n)} must be 1-32 letters, digits, _ . or -`);
  if (new Set(nodes).size !== nodes.length) throw fail('node names must be distinct');
  return [...nodes];
}
