// Which process owns a run's namespaces and rules: /run/faultline/<runid>.json holds its pid and
// start time. `faultline heal` leaves a run alone while its owner lives, so it never pulls the
// network from under a test that is still running. /run is cleared at boot, like the namespaces.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStat } from './proc.js';

export const OWNER_DIR = '/run/faultline';

interface Owner {
  pid: number;
  /** The owner's start time in clock ticks since boot (/proc/PID/stat field 22), so a reused pid does not count. */
  start: string;
}

function ownerFile(runId: string): string {
  return join(OWNER_DIR, `${runId}.json`);
}

/** The start time of `pid` from /proc, or undefined when it does not run. */
export function processStart(pid: number): string | undefined {
  return readStat(pid)?.start;
}

/** Records this process as the owner of `runId`. */
export function claimRun(runId: string): void {
  mkdirSync(OWNER_DIR, { recursive: true });
  const owner: Owner = { pid: process.pid, start: processStart(process.pid) ?? '' };
  writeFileSync(ownerFile(runId), JSON.stringify(owner) + '\n');
}

export function releaseRun(runId: string): void {
  rmSync(ownerFile(runId), { force: true });
}

/** The owner's pid while it still runs; undefined when the run has no owner record or its owner is gone. */
export function liveOwner(runId: string): number | undefined {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(ownerFile(runId), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(owner.pid)) return undefined;
  const start = processStart(owner.pid);
  return start !== undefined && start === owner.start ? owner.pid : undefined;
}

/** The run ids that have an owner record, live or not. */
export function recordedRuns(): string[] {
  try {
    return readdirSync(OWNER_DIR)
      .map((f) => /^([a-z0-9]{1,12})\.json$/.exec(f)?.[1])
      .filter((id): id is string => id !== undefined);
  } catch {
    return [];
  }
}

/** Whether run `runId` has an owner record. */
export function hasRecord(runId: string): boolean {
  return existsSync(ownerFile(runId));
}
