// Hot keys of the sharded mode's adaptive option: which keys a shard finds hot, and the table every
// node keeps of the keys spread over sub-shards. A spread key lives in a part on every node (each
// node's own copy of the store key is its sub-shard); an add goes to the sub-shard of the node
// that received it, a read gathers every part and merges them. Only keys whose parts merge
// without loss are spread: sets (union) and counters (sum). A register has one value, which no
// sub-shard can hold a part of.
//
// Spreading is two-phase so no read misses a part: first every node learns to *gather* the key's
// reads (and says so), then nodes may *spread* its adds. An add lands on a sub-shard only at a
// node that has the spread phase, which began after every node gathered; so a read that does not
// gather was routed before any add to a sub-shard began. The table is kept in the data dir, so a
// restarted node gathers as before. Keys are never merged back.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyKind } from './state-machine.js';

export const SPREADABLE_KINDS: ReadonlySet<string> = new Set(['set', 'counter']);

export function isSpreadable(storeKey: string): boolean {
  try {
    return SPREADABLE_KINDS.has(keyKind(storeKey));
  } catch {
    return false;
  }
}

/** The hot-key table: keys whose reads gather every part, and keys whose adds go to the local sub-shard. */
export class HotKeyTable {
  readonly gather = new Set<string>();
  readonly spread = new Set<string>();
  private readonly file: string | undefined;

  constructor(dir: string | undefined) {
    this.file = dir === undefined ? undefined : join(dir, 'hot-keys.json');
    if (this.file === undefined || !existsSync(this.file)) return;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { gather?: string[]; spread?: string[] };
    for (const k of saved.gather ?? []) this.gather.add(k);
    for (const k of saved.spread ?? []) this.spread.add(k);
  }

  /** Records a phase (durably, before the node acts on it or says it has). */
  set(phase: 'gather' | 'spread', key: string): void {
    const into = phase === 'gather' ? this.gather : this.spread;
    if (into.has(key)) return;
    into.add(key);
    // Spreading implies gathering.
    if (phase === 'spread') this.gather.add(key);
    if (this.file === undefined) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ gather: [...this.gather], spread: [...this.spread] }));
    renameSync(tmp, this.file);
  }
}

export interface HotKeyVerdict {
  key: string;
  /** The key's share of this shard's ops in the window. */
  share: number;
  /** This shard's ops ÷ the mean over shards in the window. */
  ratio: number;
}

/**
 * Counts a shard's ops per key over windows. A key is hot when its shard ran more than `ratio`
 * times the mean shard's ops in the last window and the key alone took `share` of them.
 */
export class HotKeyDetector {
  private counts = new Map<string, number>();
  private total = 0;
  /** Each peer's ops in its last window, as it gossiped them. */
  readonly peerLoads = new Map<string, number>();

  constructor(private readonly o: { share: number; ratio: number; minOps: number }) {}

  count(storeKey: string): void {
    this.total++;
    if (isSpreadable(storeKey)) this.counts.set(storeKey, (this.counts.get(storeKey) ?? 0) + 1);
  }

  /** Ends the window: this shard's ops in it, and the hot key found (if any). */
  roll(skip: ReadonlySet<string>): { ops: number; hot?: HotKeyVerdict } {
    const ops = this.total;
    const counts = this.counts;
    this.counts = new Map();
    this.total = 0;
    if (ops < this.o.minOps) return { ops };
    const loads = [ops, ...this.peerLoads.values()];
    const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
    const ratio = mean > 0 ? ops / mean : 0;
    if (ratio <= this.o.ratio) return { ops };
    let best: string | undefined;
    let bestCount = 0;
    for (const [k, c] of counts) if (!skip.has(k) && c > bestCount) [best, bestCount] = [k, c];
    if (best === undefined || bestCount / ops < this.o.share) return { ops };
    return { ops, hot: { key: best, share: bestCount / ops, ratio } };
  }
}
