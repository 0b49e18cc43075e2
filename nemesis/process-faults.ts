// Faults on a target's node processes: kill (SIGKILL, restarted on stop) and pause (SIGSTOP,
// continued on stop). Both go through the target's lifecycle, so they work wherever its nodes run.
import type { Target } from '../targets/types.js';
import type { Fault } from './types.js';

function nodesOf(value: unknown, target: Target): string[] {
  const list = Array.isArray(value) ? value : [value];
  const nodes = list.filter((n): n is string => typeof n === 'string' && target.nodes.includes(n));
  if (nodes.length === 0) throw new Error(`no node of ${target.nodes.join(', ')} named in ${JSON.stringify(value)}`);
  return nodes;
}

function processFault(name: string, target: Target, begin: (n: string) => Promise<void>, end: (n: string) => Promise<void>): Fault {
  const affected = new Set<string>();
  return {
    name,
    async start(value) {
      const nodes = nodesOf(value, target).filter((n) => !affected.has(n));
      for (const n of nodes) {
        affected.add(n); // before the attempt: a half-done start must still be undone
        await begin(n);
      }
      return nodes;
    },
    async stop() {
      const nodes = [...affected];
      const errors: string[] = [];
      for (const n of nodes) {
        try {
          await end(n);
          affected.delete(n);
        } catch (e) {
          errors.push(`${n}: ${(e as Error).message}`);
        }
      }
      if (errors.length > 0) throw new Error(`${name}: could not undo on ${errors.join('; ')}`);
      return nodes;
    },
    async available() {
      return true;
    },
    active() {
      return affected.size > 0;
    },
  };
}

export function killFault(target: Target): Fault {
  return processFault('kill', target, (n) => target.kill(n), (n) => target.start(n));
}

export function pauseFault(target: Target): Fault {
  return processFault('pause', target, (n) => target.pause(n), (n) => target.resume(n));
}
