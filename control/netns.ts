// Commands inside a network namespace: `ip netns exec NS argv…` (needs root and iproute2).
import { run } from './local.js';
import type { Control } from './types.js';

export function netns(ns: string): Control {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ns)) throw new Error(`not a namespace name: ${JSON.stringify(ns)}`);
  const prefix = ['ip', 'netns', 'exec', ns];
  return {
    where: `netns ${ns}`,
    exec: (command, options) => run([...prefix, ...command], options),
    wrap: (command) => [...prefix, ...command],
  };
}
