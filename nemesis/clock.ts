// Clock faults: bump (shift a node's clock by an offset), strobe (flip it between two offsets every
// few ms for a while) and reset. They reach a node's clock through
//   - the target, when it keeps a clock of its own (the built-in store: setClockOffset, which
//     skews NodeContext.now() and so its HLC/LWW stamps), or
//   - `date -s` over SSH on a real, disposable host (sshClock below).
// Never on the machine faultline runs on: namespaces share its clock, and `date -s` would shift
// the whole machine. So a local or netns control, or an SSH host whose kernel boot id is this
// machine's, is refused; there, only a target with its own clock can take clock faults.
import { readFileSync } from 'node:fs';
import type { Control } from '../control/types.js';
import { fanOut } from '../control/types.js';
import type { Target } from '../targets/types.js';
import { Random } from '../base/random.js';
import type { Fault } from './types.js';

/** Sets a node's clock offset from true time (ms); 0 resets it. */
export interface ClockDriver {
  readonly nodes: readonly string[];
  setOffset(node: string, offsetMs: number): Promise<void>;
  /** true, or why these nodes' clocks cannot be changed. */
  available(): Promise<true | string>;
  /** How it is done, for the op's value. */
  readonly mechanism: string;
}

/** A target that keeps its own clock per node (the built-in store). */
export interface ClockTarget {
  setClockOffset(node: string, offsetMs: number): Promise<void>;
}

export function hasOwnClock(t: object): t is ClockTarget {
  return typeof (t as Partial<ClockTarget>).setClockOffset === 'function';
}

export type ClockAction =
  | { kind: 'bump'; offsetMs: number }
  | { kind: 'strobe'; offsetMs: number; periodMs: number; durationMs: number }
  | { kind: 'reset' };

// ---- offset math, pure ---------------------------------------------------------------------

/** A bump adds to whatever offset the node has. */
export function bumped(current: number, deltaMs: number): number {
  return current + deltaMs;
}

/**
 * A strobe's offset `elapsedMs` after it began: `base + deltaMs` in even periods, `base` in odd
 * ones, and `base` again once `durationMs` has passed.
 */
export function strobeOffset(base: number, deltaMs: number, periodMs: number, durationMs: number, elapsedMs: number): number {
  if (elapsedMs >= durationMs || elapsedMs < 0) return base;
  return Math.floor(elapsedMs / periodMs) % 2 === 0 ? base + deltaMs : base;
}

/** `date -s` shifting a host's clock by deltaMs from its own current time (GNU date's relative form). */
export function dateShiftArgv(deltaMs: number): string[] {
  if (!Number.isFinite(deltaMs)) throw new Error(`clock: a shift must be a finite number of ms, got ${deltaMs}`);
  const seconds = (Math.abs(deltaMs) / 1000).toFixed(3);
  return ['date', '-s', `${deltaMs < 0 ? '-' : '+'}${seconds} seconds`];
}

export const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

// ---- drivers -------------------------------------------------------------------------------

export function targetClock(target: Target & ClockTarget): ClockDriver {
  return {
    nodes: target.nodes,
    mechanism: 'target-clock-offset',
    setOffset: (node, ms) => target.setClockOffset(node, ms),
    available: async () => true,
  };
}

function localBootId(): string | undefined {
  try {
    return readFileSync(BOOT_ID_PATH, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Why `control` must not set a clock, or undefined when it may (a different kernel over SSH). */
export async function refuseLocalClock(control: Control, mine: string | undefined = localBootId()): Promise<string | undefined> {
  if (!control.where.startsWith('ssh ')) {
    return `${control.where} runs on this machine, whose clock faultline never changes (namespaces share it)`;
  }
  const r = await control.exec(['cat', BOOT_ID_PATH], { timeoutMs: 10_000, allowFailure: true });
  const theirs = r.stdout.trim();
  if (r.exitCode !== 0 || theirs === '') return `cannot tell whether ${control.where} is this machine (reading ${BOOT_ID_PATH} failed), so its clock is left alone`;
  if (mine === undefined) return `cannot read this machine's ${BOOT_ID_PATH}, so no host can be told apart from it`;
  if (theirs === mine) return `${control.where} is this machine (same kernel boot id), whose clock faultline never changes`;
  return undefined;
}

/**
 * Clocks of real, disposable hosts over SSH: each offset change runs `date -s ±N seconds` there
 * (relative to the host's own time, so the SSH round trip adds no error). Reset undoes the sum
 * of the shifts made. Refused for any host that is this machine.
 */
export function sshClock(hosts: Readonly<Record<string, Control>>, options: { bootId?: string } = {}): ClockDriver {
  const current = new Map<string, number>();
  let checked: Promise<true | string> | undefined;
  const available = () =>
    (checked ??= (async () => {
      const reasons: string[] = [];
      for (const [node, control] of Object.entries(hosts)) {
        const why = await refuseLocalClock(control, options.bootId ?? localBootId());
        if (why) reasons.push(`${node}: ${why}`);
      }
      return reasons.length === 0 ? true : reasons.join('; ');
    })());
  return {
    nodes: Object.keys(hosts),
    mechanism: 'ssh-date',
    available,
    async setOffset(node, ms) {
      const ok = await available();
      if (ok !== true) throw new Error(`clock: refused: ${ok}`);
      const control = hosts[node];
      if (!control) throw new Error(`clock: no host for ${node}`);
      const delta = ms - (current.get(node) ?? 0);
      if (delta === 0) return;
      await control.exec(dateShiftArgv(delta), { timeoutMs: 10_000 });
      current.set(node, ms);
    },
  };
}

// ---- the fault -----------------------------------------------------------------------------

export interface ClockFaultOptions {
  /** Default bump / strobe size in ms. Default 5000. */
  offsetMs?: number;
  /** Default strobe: flip every periodMs for durationMs. Defaults 200 and 4000. */
  periodMs?: number;
  durationMs?: number;
  /** What a start with only nodes does: bump (default) or strobe. */
  action?: 'bump' | 'strobe';
  /** SSH hosts per node, for targets without a clock of their own. */
  ssh?: Readonly<Record<string, Control>>;
  /** Seed for the default bump's sign (random per start, like Jepsen's). Default 1. */
  seed?: number;
}

/**
 * What a start's value asks for: nodes (null = all, a name, a list) get the default action, or an
 * object { nodes?, kind: bump|strobe|reset, offsetMs?, periodMs?, durationMs? }.
 */
export function parseClockValue(value: unknown, all: readonly string[], defaults: { action: 'bump' | 'strobe'; offsetMs: number; periodMs: number; durationMs: number }, random: () => number): { nodes: string[]; action: ClockAction } {
  let nodes: unknown = value;
  let action: ClockAction;
  const sign = random() < 0.5 ? -1 : 1;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    nodes = v.nodes;
    const num = (k: string, d: number, min: number) => {
      const x = v[k] ?? d;
      if (typeof x !== 'number' || !Number.isFinite(x) || x < min) throw new Error(`clock fault: ${k} must be a number ≥ ${min}, got ${JSON.stringify(x)}`);
      return x;
    };
    if (v.kind === 'bump') action = { kind: 'bump', offsetMs: num('offsetMs', sign * defaults.offsetMs, -Infinity) };
    else if (v.kind === 'strobe') action = { kind: 'strobe', offsetMs: num('offsetMs', defaults.offsetMs, -Infinity), periodMs: num('periodMs', defaults.periodMs, 1), durationMs: num('durationMs', defaults.durationMs, 0) };
    else if (v.kind === 'reset') action = { kind: 'reset' };
    else throw new Error(`clock fault: kind must be bump, strobe or reset, got ${JSON.stringify(v.kind)}`);
  } else {
    action = defaults.action === 'strobe' ? { kind: 'strobe', offsetMs: defaults.offsetMs, periodMs: defaults.periodMs, durationMs: defaults.durationMs } : { kind: 'bump', offsetMs: sign * defaults.offsetMs };
  }
  if (nodes === null || nodes === undefined) return { nodes: [...all], action };
  const list = Array.isArray(nodes) ? nodes : [nodes];
  for (const n of list) if (typeof n !== 'string' || !all.includes(n)) throw new Error(`clock fault: ${JSON.stringify(n)} is not a node (nodes: ${all.join(', ')})`);
  return { nodes: [...new Set(list as string[])], action };
}

/** A clock fault through any driver. stop() cancels strobes and resets every node it touched. */
export function clockFaultWith(driver: ClockDriver, options: ClockFaultOptions = {}): Fault {
  const offsets = new Map<string, number>();
  const strobes = new Map<string, { timer: NodeJS.Timeout; base: number }>();
  const stream = new Random(options.seed ?? 1);
  const random = () => stream.next();
  const defaults = { action: options.action ?? 'bump', offsetMs: options.offsetMs ?? 5000, periodMs: options.periodMs ?? 200, durationMs: options.durationMs ?? 4000 } as const;
  let failures: string[] = [];

  const set = async (node: string, ms: number) => {
    offsets.set(node, ms); // before the attempt: stop resets it even if this fails half-way
    await driver.setOffset(node, ms);
  };

  const endStrobe = (node: string) => {
    const s = strobes.get(node);
    if (s) clearInterval(s.timer);
    strobes.delete(node);
    return s;
  };

  const strobe = async (node: string, a: Extract<ClockAction, { kind: 'strobe' }>) => {
    const base = endStrobe(node)?.base ?? offsets.get(node) ?? 0;
    const began = performance.now();
    let busy = false;
    await set(node, strobeOffset(base, a.offsetMs, a.periodMs, a.durationMs, 0));
    const timer = setInterval(() => {
      if (busy) return; // a slow driver skips flips rather than queueing them
      const elapsed = performance.now() - began;
      const next = strobeOffset(base, a.offsetMs, a.periodMs, a.durationMs, elapsed);
      if (elapsed >= a.durationMs) endStrobe(node);
      if (next === offsets.get(node)) return;
      busy = true;
      set(node, next)
        .catch((e: Error) => failures.push(`${node}: ${e.message}`))
        .finally(() => (busy = false));
    }, a.periodMs);
    timer.unref();
    strobes.set(node, { timer, base });
  };

  return {
    name: 'clock',
    async start(value) {
      const ok = await driver.available();
      if (ok !== true) throw new Error(`clock is unavailable: ${ok}`);
      const { nodes, action } = parseClockValue(value, driver.nodes, defaults, random);
      await fanOut(nodes, async (n) => {
        if (action.kind === 'strobe') return strobe(n, action);
        endStrobe(n);
        await set(n, action.kind === 'bump' ? bumped(offsets.get(n) ?? 0, action.offsetMs) : 0);
      });
      return { mechanism: driver.mechanism, ...action, nodes, offsets: Object.fromEntries(nodes.map((n) => [n, offsets.get(n) ?? 0])) };
    },
    async stop() {
      const nodes = [...offsets.keys()];
      for (const n of nodes) endStrobe(n);
      const errors = failures;
      failures = [];
      await fanOut(nodes, async (n) => {
        await driver.setOffset(n, 0);
        offsets.delete(n);
      }).catch((e: Error) => errors.push(e.message));
      if (errors.length > 0) throw new Error(`clock: ${errors.join('; ')}`);
      return { mechanism: driver.mechanism, nodes };
    },
    available: () => driver.available(),
    active() {
      return offsets.size > 0 || strobes.size > 0;
    },
  };
}

/**
 * The clock fault for a target: through its own clock when it has one (the built-in store), else
 * through `date` on the SSH hosts in options.ssh; otherwise available() says why not.
 */
export function clockFault(target: Target, options: ClockFaultOptions = {}): Fault {
  if (hasOwnClock(target)) return clockFaultWith(targetClock(target as Target & ClockTarget), options);
  if (options.ssh) return clockFaultWith(sshClock(options.ssh), options);
  return clockFaultWith(
    {
      nodes: target.nodes,
      mechanism: 'none',
      setOffset: async () => {
        throw new Error('clock: no clock to change');
      },
      available: async () =>
        "the target keeps no clock of its own and its nodes are on this machine, whose clock faultline never changes (date -s would shift the whole machine; libfaketime does not reach Go binaries such as etcd); clock faults need SSH hosts",
    },
    options,
  );
}
