// What tests look for in /proc after a run: processes that are still there.
import { readdirSync, readFileSync } from 'node:fs';

/** Pids (not this process) whose command line contains `text`, e.g. a run's store folder. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
