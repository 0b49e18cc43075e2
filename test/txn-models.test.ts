import { describe, expect, it } from 'vitest';
import {
  ANOMALY_IMPLIES,
  MODEL_ALIASES,
  MODEL_IMPLIES,
  MODEL_PROSCRIBES,
  boundary,
  canonicalModel,
  impliedAnomalies,
  impliedModels,
  knownAnomalies,
  knownModels,
  prohibitedAnomalies,
  strongestModels,
  weakestModels,
} from '../checker/txn/models.js';

const FRIENDLY = [
  'read-uncommitted', 'read-committed', 'cursor-stability', 'monotonic-view', 'monotonic-snapshot-read',
  'consistent-view', 'forward-consistent-view', 'update-serializable', 'monotonic-atomic-view', 'read-atomic',
  'causal-cerone', 'parallel-snapshot-isolation', 'prefix', 'ROLA', 'repeatable-read', 'snapshot-isolation',
  'serializable', 'view-serializable', 'strict-serializable', 'session-serializable', '1SR',
  'strong-session-read-uncommitted', 'strong-session-read-committed', 'strong-read-uncommitted',
  'strong-read-committed', 'strong-session-snapshot-isolation', 'strong-snapshot-isolation',
  'strong-session-serializable', 'linearizable', 'sequential', 'causal', 'writes-follow-reads', 'PRAM',
  'monotonic-reads', 'monotonic-writes', 'read-your-writes',
];

const has = (s: Set<string>, xs: string[]) => xs.filter((x) => !s.has(x));
const lacks = (s: Set<string>, xs: string[]) => xs.filter((x) => s.has(x));
const ruledOut = (anomalies: string[]) => {
  const b = boundary(anomalies);
  return new Set([...b.not, ...b.alsoNot]);
};

describe('names', () => {
  it('knows exactly the friendly models, sorted', () => {
    expect(knownModels()).toEqual([...FRIENDLY].sort());
  });

  it('maps aliases to friendly names', () => {
    expect(canonicalModel('PL-3')).toBe('serializable');
    expect(canonicalModel('conflict-serializable')).toBe('serializable');
    expect(canonicalModel('PL-SI')).toBe('snapshot-isolation');
    expect(canonicalModel('PL-2')).toBe('read-committed');
    expect(canonicalModel('PL-1')).toBe('read-uncommitted');
    expect(canonicalModel('PL-2.99')).toBe('repeatable-read');
    expect(canonicalModel('PL-SS')).toBe('strict-serializable');
    expect(canonicalModel('strong-serializable')).toBe('strict-serializable');
    expect(canonicalModel('strong-session-PL-2')).toBe('strong-session-read-committed');
    expect(canonicalModel('serializable')).toBe('serializable');
    expect(canonicalModel('nope')).toBeUndefined();
    expect(canonicalModel('')).toBeUndefined();
    expect(canonicalModel('toString')).toBeUndefined(); // no Object.prototype leaks
  });

  it('forgives case, EDN keyword colons and underscores', () => {
    expect(canonicalModel(':serializable')).toBe('serializable');
    expect(canonicalModel('Strict_Serializable')).toBe('strict-serializable');
    expect(canonicalModel('pl-si')).toBe('snapshot-isolation');
    expect(canonicalModel('rola')).toBe('ROLA');
  });

  it('every alias and every model in the graphs is known; every alias target is canonical', () => {
    const known = new Set(knownModels());
    for (const m of [...Object.keys(MODEL_IMPLIES), ...Object.values(MODEL_IMPLIES).flat(), ...Object.keys(MODEL_PROSCRIBES)]) {
      expect(known.has(m), m).toBe(true);
    }
    for (const [alias, target] of Object.entries(MODEL_ALIASES)) {
      expect(known.has(target), alias).toBe(true);
      expect(known.has(alias), alias).toBe(false);
    }
  });

  it('throws on unknown models rather than checking nothing', () => {
    expect(() => prohibitedAnomalies(['serialisable'])).toThrow(RangeError);
  });
});

describe('prohibitedAnomalies', () => {
  it('serializable', () => {
    const p = prohibitedAnomalies(['serializable']);
    expect(has(p, [
      'G0', 'G1a', 'G1b', 'G1c', 'G-single', 'G-nonadjacent', 'G2-item', 'G2', 'internal', 'lost-update',
      'incompatible-order', 'dirty-update', 'future-read', 'garbage-read', 'duplicate-elements', 'cyclic-versions',
    ])).toEqual([]);
    expect(lacks(p, ['G-single-realtime', 'G2-item-realtime', 'G0-process'])).toEqual([]);
  });

  it('aliases prohibit the same as their model', () => {
    expect(prohibitedAnomalies(['PL-3'])).toEqual(prohibitedAnomalies(['serializable']));
    expect(prohibitedAnomalies(['strong-serializable'])).toEqual(prohibitedAnomalies(['strict-serializable']));
  });

  it('strict-serializable adds the process and real-time variants', () => {
    const p = prohibitedAnomalies(['strict-serializable']);
    expect(has(p, [...prohibitedAnomalies(['serializable'])])).toEqual([]);
    expect(has(p, [
      'G0-realtime', 'G1c-realtime', 'G-single-realtime', 'G-nonadjacent-realtime', 'G2-item-realtime',
      'G0-process', 'G1c-process', 'G-single-process', 'G2-item-process',
    ])).toEqual([]);
  });

  it('snapshot-isolation', () => {
    const p = prohibitedAnomalies(['snapshot-isolation']);
    expect(has(p, ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'lost-update', 'internal'])).toEqual([]);
    expect(lacks(p, ['G2-item', 'G2-item-process', 'G-single-realtime', 'G2', 'write-skew'])).toEqual([]);
  });

  it('read-committed', () => {
    const p = prohibitedAnomalies(['read-committed']);
    expect(has(p, ['G0', 'G1a', 'G1b', 'G1c', 'G1', 'future-read', 'dirty-update', 'garbage-read'])).toEqual([]);
    expect(lacks(p, ['G-single', 'G2-item', 'internal', 'lost-update'])).toEqual([]);
  });

  it('repeatable-read', () => {
    const p = prohibitedAnomalies(['repeatable-read']);
    expect(has(p, ['G2-item', 'lost-update', 'G1c', 'G-single-item', 'G-nonadjacent-item'])).toEqual([]);
    // Per Elle's data, repeatable-read (PL-2.99) forbids only item-level anti-dependency cycles:
    // a G-single or G-nonadjacent cycle may hinge on a predicate rw edge, so neither is forbidden.
    // Nor is `internal`: repeatable-read reaches monotonic-atomic-view, which proscribes nothing
    // itself, and not read-atomic (whose INT axiom forbids internal inconsistency).
    expect(lacks(p, ['G-single', 'G-nonadjacent', 'G2', 'internal'])).toEqual([]);
  });

  it('read-uncommitted forbids only write cycles and impossible-data anomalies', () => {
    expect([...prohibitedAnomalies(['read-uncommitted'])].sort()).toEqual(
      ['G0', 'cyclic-versions', 'duplicate-elements', 'future-read', 'garbage-read'].sort(),
    );
  });

  it('models without transactional proscriptions prohibit nothing', () => {
    for (const m of ['linearizable', 'view-serializable', '1SR', 'session-serializable']) {
      expect(prohibitedAnomalies([m]).size, m).toBe(0);
    }
    // monotonic-atomic-view forbids nothing of its own: only what read-committed already does
    expect(prohibitedAnomalies(['monotonic-atomic-view'])).toEqual(prohibitedAnomalies(['read-committed']));
  });

  it('a set of models prohibits the union of what each prohibits', () => {
    const both = prohibitedAnomalies(['repeatable-read', 'strong-session-read-uncommitted']);
    expect(both).toEqual(
      new Set([...prohibitedAnomalies(['repeatable-read']), ...prohibitedAnomalies(['strong-session-read-uncommitted'])]),
    );
    expect(prohibitedAnomalies([]).size).toBe(0);
  });

  it('is monotone along the lattice: a stronger model prohibits at least what a weaker one does', () => {
    for (const [a, bs] of Object.entries(MODEL_IMPLIES)) {
      const pa = prohibitedAnomalies([a]);
      for (const b of bs) expect(has(pa, [...prohibitedAnomalies([b])]), `${a} -> ${b}`).toEqual([]);
    }
  });
});

describe('impliedAnomalies', () => {
  it('closes over the anomaly graph', () => {
    expect(impliedAnomalies(['lost-update'])).toEqual(
      new Set(['lost-update', 'write-skew', 'G2-item', 'G2', 'G2-item-process', 'G2-item-realtime', 'G2-process', 'G2-realtime']),
    );
    expect(has(impliedAnomalies(['incompatible-order']), ['G1a', 'G1', 'G1-process', 'G1-realtime'])).toEqual([]);
    expect(has(impliedAnomalies(['future-read']), ['G1c', 'G1c-process', 'G1c-realtime', 'G1'])).toEqual([]);
    expect(impliedAnomalies(['garbage-read'])).toEqual(new Set(['garbage-read']));
    expect(impliedAnomalies(['unheard-of'])).toEqual(new Set(['unheard-of']));
  });

  it('G-single does not imply G2-item (only G-single-item does), as in Elle', () => {
    expect(impliedAnomalies(['G-single']).has('G2-item')).toBe(false);
    expect(impliedAnomalies(['G-single-item']).has('G2-item')).toBe(true);
  });

  it('the anomaly and model graphs are acyclic', () => {
    for (const g of [ANOMALY_IMPLIES, MODEL_IMPLIES]) {
      for (const [a, bs] of Object.entries(g)) {
        for (const b of bs) {
          const downstream = g === ANOMALY_IMPLIES ? impliedAnomalies([b]) : impliedModels([b]);
          expect(downstream.has(a), `${a} -> ${b} closes a cycle`).toBe(false);
        }
      }
    }
  });
});

describe('boundary', () => {
  it('G2-item rules out repeatable-read and stronger, not snapshot-isolation', () => {
    const b = boundary(['G2-item']);
    expect(b.not).toEqual(['repeatable-read']);
    expect(b.alsoNot).toEqual(expect.arrayContaining(['serializable', 'strict-serializable']));
    expect(b.alsoNot).not.toContain('snapshot-isolation');
  });

  it('G0 rules out read-uncommitted (PL-1) and everything above it', () => {
    const b = boundary(['G0']);
    expect(b.not).toEqual(['read-uncommitted']);
    expect(b.alsoNot).toEqual(expect.arrayContaining(['read-committed', 'serializable', 'strict-serializable']));
    // models that sit outside PL-1's cone, and proscribe nothing, survive
    expect(ruledOut(['G0']).has('view-serializable')).toBe(false);
    expect(ruledOut(['G0']).has('linearizable')).toBe(false);
  });

  it('G-single', () => {
    const b = boundary(['G-single']);
    // Adya's consistent-view (PL-2+) is the weakest model forbidding G-single outright.
    expect(b.not).toContain('consistent-view');
    expect(b.not).toEqual(['consistent-view']);
    // Snapshot isolation implies forward-consistent-view -> consistent-view, so it is "also not",
    // as are serializable and everything stronger.
    expect(b.alsoNot).toEqual(expect.arrayContaining(['snapshot-isolation', 'serializable', 'forward-consistent-view']));
    // Repeatable read survives: in Elle's data G-single does not imply G2-item (its rw edge may be
    // a predicate's), and repeatable-read forbids only G2-item, not G2 or G-single. Neither is
    // cursor-stability ruled out: it lies below consistent-view.
    expect(ruledOut(['G-single']).has('repeatable-read')).toBe(false);
    expect(ruledOut(['G-single']).has('cursor-stability')).toBe(false);
  });

  it('G1c-realtime rules out strong-read-committed and strict-serializable, not serializable', () => {
    const b = boundary(['G1c-realtime']);
    expect(b.not).toContain('strong-read-committed');
    expect(b.alsoNot).toContain('strict-serializable');
    expect(ruledOut(['G1c-realtime']).has('serializable')).toBe(false);
  });

  it('G0-process rules out strong-session-read-uncommitted, not read-uncommitted', () => {
    const b = boundary(['G0-process']);
    expect(b.not).toEqual(['strong-session-read-uncommitted']);
    expect(ruledOut(['G0-process']).has('read-uncommitted')).toBe(false);
  });

  it('lost-update is caught both by cursor-stability and by ROLA', () => {
    expect(boundary(['lost-update']).not).toEqual(['ROLA', 'cursor-stability']);
  });

  it('garbage-read rules out every transactional model', () => {
    const b = boundary(['garbage-read']);
    expect(b.not).toEqual(['read-uncommitted']);
    expect(b.alsoNot).toEqual(expect.arrayContaining(['strict-serializable', 'snapshot-isolation', 'ROLA']));
  });

  it('no anomalies, or unknown ones, rule out nothing', () => {
    expect(boundary([])).toEqual({ not: [], alsoNot: [] });
    expect(boundary(['unheard-of'])).toEqual({ not: [], alsoNot: [] });
  });

  it('arrays are sorted and disjoint; every alsoNot model implies some not model', () => {
    for (const a of knownAnomalies()) {
      const b = boundary([a]);
      expect(b.not).toEqual([...b.not].sort());
      expect(b.alsoNot).toEqual([...b.alsoNot].sort());
      expect(b.not.filter((m) => b.alsoNot.includes(m))).toEqual([]);
      for (const m of b.alsoNot) {
        expect(b.not.some((w) => impliedModels([m]).has(w)), `${a}: ${m}`).toBe(true);
      }
      expect(weakestModels([...b.not, ...b.alsoNot])).toEqual(b.not);
    }
  });

  it('property: a model rules itself out for every anomaly it prohibits', () => {
    for (const m of knownModels()) {
      for (const a of prohibitedAnomalies([m])) {
        expect(ruledOut([a]).has(m), `${m} / ${a}`).toBe(true);
      }
    }
  });

  it('property: an anomaly a model does not prohibit does not rule it out', () => {
    for (const m of knownModels()) {
      const p = prohibitedAnomalies([m]);
      for (const a of knownAnomalies()) {
        if (!p.has(a)) expect(ruledOut([a]).has(m), `${m} / ${a}`).toBe(false);
      }
    }
  });
});

describe('weakest / strongest', () => {
  it('picks the ends of a chain', () => {
    const chain = ['strict-serializable', 'serializable', 'repeatable-read', 'read-committed'];
    expect(weakestModels(chain)).toEqual(['read-committed']);
    expect(strongestModels(chain)).toEqual(['strict-serializable']);
    expect(weakestModels(['snapshot-isolation', 'repeatable-read'])).toEqual(['repeatable-read', 'snapshot-isolation']);
  });
});
