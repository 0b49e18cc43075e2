// What tests look for in /proc after a run: processes that are still there.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { processState } from '../../control/proc.js';

/** A live process a test found: its state letter (R, S, T, D, ...) and its command line, arguments spaced. */
export interface SeenProcess {
  pid: number;
  state: string;
  cmd: string;
}

/**
 * Processes (not this one) whose command line contains `text` (or one of `texts`), e.g. a run's
 * store folder. With `cwd`, a process whose working directory contains it counts too (a server
 * started in the run's folder that names no path of it). Zombies are left out: they are gone but
 * for their exit status.
 */
export function processesMentioning(text: string | readonly string[], options: { cwd?: boolean } = {}): SeenProcess[] {
  const texts = typeof text === 'string' ? [text] : text;
  const found: SeenProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const seen = options.cwd ? `${cmdline}\0${readlinkSync(`/proc/${name}/cwd`)}` : cmdline;
      if (!texts.some((t) => seen.includes(t))) continue;
      const state = processState(Number(name));
      if (state !== undefined && state !== 'Z') found.push({ pid: Number(name), state, cmd: cmdline.replaceAll('\0', ' ').trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
