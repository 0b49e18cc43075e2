// Jepsen's unique-ids: `generate` ops whose ok value is an id (any JSON value; ids compare as
// canonical JSON, so 1 and "1" differ). Valid iff every acknowledged id is distinct. Keyed
// histories: ids must be distinct within each key.
import { HistoryError } from '../histories/errors.js';
import type { History } from '../histories/history.js';
import { IntVec } from './txn/vec.js';
import { capitalize, ElementIndex, keyOfOp, plural, showElement } from './set.js';
import type { Checker, CheckContext, Result } from './types.js';
import { nothingToCheck } from './relevant.js';

const MAX_DUPLICATES = 32;
const MAX_INDICES = 8;

export const uniqueIds: Checker = {
  name: 'unique-ids',
  description: "Jepsen's unique-ids: every id a generate returned ok is distinct",
  async check(h: History, ctx: CheckContext): Promise<Result> {
    const none = nothingToCheck(h, 'unique-ids', ['generate']);
    if (none) return none;
    const file = ctx.file ?? h.file;
    const ops = h.ops;
    const index = new ElementIndex();
    let count = new Int32Array(1024);
    const okAt = new IntVec();
    const okId = new IntVec();
    let attempted = 0;
    let min = Infinity;
    let max = -Infinity;
    let numeric = true;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.process === 'nemesis' || op.f !== 'generate') continue;
      if (op.type === 'invoke') {
        attempted++;
        continue;
      }
      if (op.type !== 'ok') continue;
      const v = op.value;
      if (v === undefined || v === null) throw new HistoryError(file, h.lineOf(i), 'value: an ok generate must return the id it generated');
      const e = index.id(index.keyId(keyOfOp(h, i)), v, true);
      if (e === count.length) {
        const next = new Int32Array(e * 2);
        next.set(count);
        count = next;
      }
      count[e]++;
      okAt.push(i);
      okId.push(e);
      if (typeof v === 'number') {
        if (v < min) min = v;
        if (v > max) max = v;
      } else numeric = false;
    }

    // Duplicated ids in order of first appearance, each with the indices of its first few ops.
    const dupIds: number[] = [];
    let duplicatedCount = 0;
    for (let e = 0; e < index.size; e++) {
      if (count[e] > 1) {
        duplicatedCount++;
        if (dupIds.length < MAX_DUPLICATES) dupIds.push(e);
      }
    }
    const slot = new Map(dupIds.map((e, j) => [e, j]));
    const where: number[][] = dupIds.map(() => []);
    const at = okAt.view();
    const ids = okId.view();
    for (let j = 0; j < at.length && slot.size; j++) {
      const s = slot.get(ids[j]);
      if (s !== undefined && where[s].length < MAX_INDICES) where[s].push(ops[at[j]].index);
    }
    const duplicated = dupIds.map((e, j) => ({
      ...(index.keyed ? { key: index.keys[index.keyOfElement[e]] } : {}),
      id: index.values[e],
      count: count[e],
      ops: where[j],
    }));

    const details: Record<string, unknown> = {
      attemptedCount: attempted,
      acknowledgedCount: at.length,
      duplicatedCount,
      duplicated,
      ...(numeric && at.length ? { range: [min, max] } : {}),
    };
    if (duplicatedCount) {
      const d = duplicated[0];
      return {
        valid: false,
        explanation:
          `${capitalize(`id ${showElement(index, dupIds[0])}`)} was generated ${d.count === 2 ? 'twice' : `${d.count} times`} (index ${d.ops.join(', ')})` +
          ` — ${plural(duplicatedCount, 'id')} generated more than once.`,
        ops: [...new Set(duplicated.slice(0, 8).flatMap((x) => x.ops))].sort((x, y) => x - y),
        ...details,
      };
    }
    return { valid: true, ...details };
  },
};
