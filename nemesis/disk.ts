// Disk faults: kill a node, damage its data files while it is down — truncate one at a random
// length, or flip random bits — and start it again, so the test sees what the node makes of a
// torn or corrupted disk (recovers, refuses to start, or serves wrong data). Randomness is seeded:
// the same seed damages the same offsets. The op's value lists every file and offset damaged and
// whether the node came back; a node that does not is retried on stop.
import { applyDamage, listFiles, type FileDamage as Damage } from '../targets/common/data-files.js';
import type { Target } from '../targets/types.js';

export { applyDamage, listFiles };
import { Random } from '../base/random.js';
import type { Fault } from './types.js';

export type DamageKind = 'truncate' | 'flip';

export type { FileDamage as Damage } from '../targets/common/data-files.js';

/** How the fault reaches a node's data files: here by default; a remote node's over ssh. */
export interface DiskAccess {
  /** Every regular, non-empty data file of the node, sorted by path. */
  list(node: string): Promise<{ path: string; size: number }[]>;
  /** Does the damage to the file. */
  apply(node: string, d: Damage): Promise<void>;
}

/** A target that reaches its nodes' data files itself (a described system, remote or local). */
export interface DiskTarget {
  readonly disk: DiskAccess;
}

export function hasDiskAccess(t: object): t is DiskTarget {
  const d = (t as Partial<DiskTarget>).disk;
  return typeof d === 'object' && d !== null && typeof d.list === 'function' && typeof d.apply === 'function';
}

export interface DiskFaultOptions {
  /**
   * A node's data files, or directories searched for them (e.g. etcd's member/wal and
   * member/snap). Default: the target's dataDir(node), when it has one (the built-in store).
   */
  files?: (node: string) => readonly string[];
  /** truncate, flip, or random (a seeded choice per file). Default random. */
  damage?: DamageKind | 'random';
  /** Bits flipped per damaged file. Default 8. */
  flips?: number;
  /** Files damaged per node per start. Default 1. */
  filesPerNode?: number;
  seed?: number;
}

/** Which damage each chosen file gets. Pure: files and the random stream decide everything. */
export function planDamage(files: readonly { path: string; size: number }[], random: Random, options: { damage?: DamageKind | 'random'; flips?: number; filesPerNode?: number } = {}): Damage[] {
  const pool = [...files];
  const count = Math.min(pool.length, options.filesPerNode ?? 1);
  const plan: Damage[] = [];
  for (let i = 0; i < count; i++) {
    const { path, size } = pool.splice(random.int(pool.length), 1)[0];
    const kind: DamageKind = options.damage === undefined || options.damage === 'random' ? (random.chance(0.5) ? 'truncate' : 'flip') : options.damage;
    if (kind === 'truncate') {
      plan.push({ path, kind, size, to: random.int(size) });
    } else {
      const n = Math.max(1, options.flips ?? 8);
      const bits = Array.from({ length: n }, () => ({ offset: random.int(size), bit: random.int(8) })).sort((a, b) => a.offset - b.offset || a.bit - b.bit);
      plan.push({ path, kind, size, bits });
    }
  }
  return plan;
}

interface NodeOutcome {
  node: string;
  damaged: Damage[];
  /** true when the node came back up; else why not (it is retried on stop). */
  restarted: true | string;
}

function defaultFiles(target: Target): ((node: string) => readonly string[]) | undefined {
  const t = target as Target & { dataDir?: (node: string) => string };
  return typeof t.dataDir === 'function' ? (node) => [t.dataDir!(node)] : undefined;
}

/** Files on this machine: the paths `files` names, damaged in place. */
function localAccess(files: (node: string) => readonly string[]): DiskAccess {
  return {
    list: async (node) => listFiles(files(node)),
    apply: async (_node, d) => applyDamage(d),
  };
}

/**
 * The disk fault. start(nodes) kills each named node, damages its data files and starts it again;
 * stop() starts any node that did not come back. Nodes are done one after another, so a start
 * never takes down more than it names at once.
 */
export function diskFault(target: Target, options: DiskFaultOptions = {}): Fault {
  const files = options.files ?? defaultFiles(target);
  const access: DiskAccess | undefined = options.files ? localAccess(options.files) : hasDiskAccess(target) ? target.disk : files ? localAccess(files) : undefined;
  const random = new Random(options.seed ?? 1);
  const down = new Set<string>();
  const nodesOf = (value: unknown): string[] => {
    if (value === null || value === undefined) return [...target.nodes];
    const list = Array.isArray(value) ? value : [value];
    for (const n of list) if (typeof n !== 'string' || !target.nodes.includes(n)) throw new Error(`disk fault: ${JSON.stringify(n)} is not a node (nodes: ${target.nodes.join(', ')})`);
    return [...new Set(list as string[])];
  };
  return {
    name: 'disk',
    async start(value) {
      if (!access) throw new Error('disk is unavailable: the target names no data files (pass options.files)');
      const outcomes: NodeOutcome[] = [];
      for (const node of nodesOf(value)) {
        down.add(node); // before the kill: stop must bring it back whatever happens next
        await target.kill(node);
        const plan = planDamage(await access.list(node), random, options);
        for (const d of plan) await access.apply(node, d);
        let restarted: true | string = true;
        try {
          await target.start(node);
          down.delete(node);
        } catch (e) {
          restarted = (e as Error).message.split('\n')[0];
        }
        outcomes.push({ node, damaged: plan, restarted });
      }
      return { nodes: outcomes };
    },
    async stop() {
      const nodes = [...down];
      const errors: string[] = [];
      for (const n of nodes) {
        try {
          await target.start(n);
          down.delete(n);
        } catch (e) {
          errors.push(`${n}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      if (errors.length > 0) throw new Error(`disk: could not restart ${errors.join('; ')}`);
      return { restarted: nodes };
    },
    async available() {
      return access ? true : 'the target names no data files to damage (give the disk fault the paths, e.g. etcd\'s member/wal and member/snap)';
    },
    active() {
      return down.size > 0;
    },
  };
}
