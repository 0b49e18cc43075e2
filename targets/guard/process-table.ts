// Who descends from whom, as /proc shows it now (each /proc/N/stat names its parent pid).
// Zombies are left out: they are dead already and signals do nothing to them.
import { readdirSync, readFileSync } from 'node:fs';

/** Living processes by parent pid. */
function childrenByParent(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === undefined || state === 'Z' || !/^\d+$/.test(ppid ?? '')) continue;
    const list = byParent.get(Number(ppid)) ?? [];
    list.push(Number(name));
    byParent.set(Number(ppid), list);
  }
  return byParent;
}

/** Every living descendant of `root` (children first, then theirs), not `root` itself. */
export function descendantsOf(root: number): number[] {
  const byParent = childrenByParent();
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    for (const pid of byParent.get(queue.shift()!) ?? []) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      out.push(pid);
      queue.push(pid);
    }
  }
  return out;
}
