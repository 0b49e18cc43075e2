// The lattice of transactional consistency models, as data, and what it lets a checker conclude.
//
// Three small directed graphs carry every fact:
//   MODEL_IMPLIES     a -> b  when every history satisfying model a also satisfies model b;
//   ANOMALY_IMPLIES   a -> b  when a history exhibiting anomaly a necessarily exhibits anomaly b;
//   MODEL_PROSCRIBES  m -> x  when model m *directly* forbids anomaly x (only what m adds over the
//                             weaker models it implies; the closures below fill in the rest).
// From these, `prohibitedAnomalies` says which anomalies a set of models rules out, and `boundary`
// says which models a set of found anomalies rules out (the weakest of them, and the rest).
//
// The facts follow Elle's consistency-model lattice (jepsen-io/elle, elle.consistency-model),
// which in turn cites the literature; each entry names its source briefly:
//   Adya     — Adya, "Weak Consistency" (PhD thesis), and Adya/Liskov/O'Neil's PL-levels
//   Bailis   — Bailis et al., "Highly Available Transactions"
//   Cerone   — Cerone/Bernardi/Gotsman, "A Framework for Transactional Consistency Models with
//              Atomic Visibility" (their axioms are only partly expressed here: "incomplete")
//   Cerone-SI, Daudjee, Daudjee-SI — Cerone/Gotsman "Analysing SI"; Daudjee/Salem on lazy
//              replication with ordering guarantees / with SI
//   Bernstein — Bernstein/Hadzilacos/Goodman, "Concurrency Control and Recovery"
//   Zuikeviciute — Zuikeviciute/Pedone, "Correctness Criteria for Database Replication"
//   ROLA     — Liu, Ölveczky et al., "ROLA: A New Distributed Transaction Protocol"
//   Hermitage — Kleppmann's Hermitage test suite
//   Elle     — a choice Elle makes without a paper behind it
//   faultline — a fact this project adds for anomalies our own checker reports
//
// Choices, as in Elle:
//   - "serializable" means conflict serializability (Adya's PL-3).
//   - strict serializable and strong serializable are the same model.
//   - "snapshot-isolation" is generalized SI, and forbids G-nonadjacent, not only G-single.
//   - the "strong-session-*" and "strong-*" models are the natural session-order and real-time
//     strengthenings of PL-1, PL-2, SI and serializability; their proscriptions are the -process
//     and -realtime variants of the base model's anomalies.
//
// Where we differ from Elle's data (deliberately):
//   - Adya's snapshot-isolation phenomena are spelled G-SIa, G-SIb, G-SI everywhere. (Elle's
//     anomaly graph says GSIa/GSIb/GSI while its proscriptions say G-SIb/G-SI, so there the
//     G-single -> GSIb edge never reaches forward-consistent-view; the conclusions are unchanged
//     because consistent-view forbids G-single anyway.)
//   - Elle's "<model>-cycle-exists" bookkeeping pseudo-anomalies are left out: they name a cycle
//     search, not something a history can exhibit.
//   - garbage-read (a read of a value nobody wrote) is forbidden by read-uncommitted, so by every
//     transactional model.
//   - so is future-read (a transaction reading what it writes only later): Elle has it imply G1c
//     only, which read-uncommitted allows, but no execution at any isolation level produces it.

/** Model a -> models b that a implies (friendly names). */
export const MODEL_IMPLIES: Readonly<Record<string, readonly string[]>> = {
  // --- Adya's PL hierarchy and its relatives ---
  'read-committed': ['read-uncommitted'], // SQL; Adya PL-2 -> PL-1
  'cursor-stability': ['read-committed'], // Adya, Bailis
  'monotonic-view': ['read-committed'], // Adya (PL-2L)
  'monotonic-snapshot-read': ['read-committed'], // Adya (PL-MSR)
  'consistent-view': ['cursor-stability', 'monotonic-view'], // Adya (PL-2+)
  'forward-consistent-view': ['consistent-view'], // Adya (PL-FCV)
  'update-serializable': ['forward-consistent-view'], // Adya (PL-3U)
  'repeatable-read': ['cursor-stability', 'monotonic-atomic-view'], // Adya (PL-2.99); Bailis
  'snapshot-isolation': [
    'forward-consistent-view', // Adya
    'monotonic-atomic-view', // Bailis
    'monotonic-snapshot-read', // Adya
    'parallel-snapshot-isolation', // Cerone
    'prefix', // Cerone
  ],
  serializable: [
    'repeatable-read', // SQL, Adya
    'update-serializable', // Adya
    'snapshot-isolation', // Bailis, Cerone
    'view-serializable', // Bernstein: conflict-serializable histories are view-serializable
  ],
  'strict-serializable': [
    'serializable', // Adya, Bailis
    'linearizable', // Bailis
    'snapshot-isolation', // Adya (also reachable through serializable)
    'strong-snapshot-isolation', // Elle: no citation, but hard to see how it could fail
    'strong-session-serializable', // Daudjee
    'session-serializable', // Zuikeviciute, via Elle's strong-serializable = strict-serializable
  ],

  // --- Bailis's HAT models and Cerone's atomic-visibility models ---
  'monotonic-atomic-view': ['read-committed'], // Bailis
  'read-atomic': ['monotonic-atomic-view'], // Cerone: EXT gives atomic visibility, INT the rest
  'causal-cerone': ['read-atomic'], // Cerone
  prefix: ['causal-cerone'], // Cerone
  'parallel-snapshot-isolation': ['causal-cerone', 'ROLA'], // Cerone; ROLA
  ROLA: ['read-atomic'], // ROLA

  // --- replication-flavoured serializability ---
  'session-serializable': ['1SR'], // Zuikeviciute

  // --- session- and real-time-strengthened models (Elle's generalizations; Daudjee, Daudjee-SI) ---
  'strong-session-read-uncommitted': ['read-uncommitted'], // Elle
  'strong-session-read-committed': ['read-committed', 'strong-session-read-uncommitted'], // Elle
  'strong-read-uncommitted': ['strong-session-read-uncommitted'], // Elle
  'strong-read-committed': ['strong-session-read-committed', 'strong-read-uncommitted'], // Elle
  'strong-session-snapshot-isolation': ['snapshot-isolation', 'strong-session-read-committed'], // Daudjee-SI, Cerone-SI
  'strong-snapshot-isolation': ['strong-session-snapshot-isolation', 'strong-read-committed'], // Daudjee-SI
  'strong-session-serializable': ['serializable', 'strong-session-snapshot-isolation'], // Daudjee

  // --- single-object models ---
  linearizable: ['sequential'], // Bailis
  sequential: ['causal'], // Bailis
  causal: ['writes-follow-reads', 'PRAM'], // Bailis
  PRAM: ['monotonic-reads', 'monotonic-writes', 'read-your-writes'], // Bailis
};

/** Anomaly a -> anomalies b that a's presence implies. */
export const ANOMALY_IMPLIES: Readonly<Record<string, readonly string[]>> = {
  // Write cycles. A single-process history is trivially a per-process one, and since a process
  // runs one transaction at a time, a process-order cycle is also a real-time-order cycle.
  G0: ['G1c', 'G0-process'], // Adya; trivial
  'G0-process': ['G1c-process', 'G0-realtime'], // processes are single-threaded
  'G0-realtime': ['G1c-realtime'], // Adya

  // G1 is the union of G1a, G1b and G1c (Adya).
  G1a: ['G1'], // Adya
  G1b: ['G1'], // Adya
  G1c: ['G1', 'G1c-process'], // Adya; trivial
  'G1c-process': ['G1c-realtime', 'G1-process'], // single-threaded processes; Adya
  'G1c-realtime': ['G1-realtime'], // Adya
  G1: ['G1-process'], // trivial
  'G1-process': ['G1-realtime'], // single-threaded processes

  // G-single-item: a G-single cycle whose one anti-dependency is on an item.
  'G-single-item': ['G-single', 'G-single-item-process', 'G-nonadjacent-item'], // Adya; trivial
  'G-single-item-process': ['G-single-process', 'G-single-item-realtime', 'G-nonadjacent-item-process'],
  'G-single-item-realtime': ['G-single-realtime', 'G-nonadjacent-item-realtime'],

  // G-single (one rw edge) is the simplest G-nonadjacent (no two rw edges adjacent).
  'G-single': [
    'G-nonadjacent', // Adya
    'G-SIb', // Adya: a DSG cycle with one rw edge shows up in the SSG too
    'G-single-process', // trivial
  ],
  'G-single-process': ['G-nonadjacent-process', 'G-single-realtime'],
  'G-single-realtime': ['G-nonadjacent-realtime'],

  // G-nonadjacent-item: a G-nonadjacent cycle whose rw edges are all on items, hence also G2-item.
  'G-nonadjacent-item': ['G-nonadjacent', 'G2-item', 'G-nonadjacent-item-process'], // Adya
  'G-nonadjacent-item-process': ['G-nonadjacent-process', 'G2-item-process', 'G-nonadjacent-item-realtime'],
  'G-nonadjacent-item-realtime': ['G2-item-realtime', 'G-nonadjacent-realtime'],

  // G-nonadjacent is a G2 cycle whose rw edges are never adjacent.
  'G-nonadjacent': ['G2', 'G-nonadjacent-process'], // Adya; trivial
  'G-nonadjacent-process': ['G2-process', 'G-nonadjacent-realtime'],
  'G-nonadjacent-realtime': ['G2-realtime'],

  // Anti-dependency cycles. Note that (as in Elle) G-single does NOT imply G2-item: a G-single
  // cycle's rw edge may be on a predicate, so only G-single-item reaches G2-item.
  'G2-item': ['G2', 'G2-item-process'], // Adya; trivial
  'G2-item-process': ['G2-process', 'G2-item-realtime'],
  'G2-item-realtime': ['G2-realtime'],
  G2: ['G2-process'], // trivial
  'G2-process': ['G2-realtime'], // single-threaded processes

  // Snapshot-isolation phenomena.
  'G-SIa': ['G-SI'], // Adya
  'G-SIb': ['G-SI'], // Adya

  // Anomalies beyond Adya's, found by list-append and friends.
  'incompatible-order': ['G1a'], // Elle: two committed reads that no single version order explains
  'dirty-update': ['G1a'], // Elle: a write built on an aborted or intermediate version
  'future-read': ['G1c'], // Elle: a txn observing its own later write is a trivial wr cycle
  'lost-update': ['write-skew', 'G2-item'], // Bailis; single-key, so item-level
  'write-skew': ['G2'], // Hermitage
};

/** Model -> anomalies it directly forbids (beyond those of the weaker models it implies). */
export const MODEL_PROSCRIBES: Readonly<Record<string, readonly string[]>> = {
  'read-uncommitted': [
    'G0', // Adya (PL-1)
    'duplicate-elements', // Elle: no Adya history can contain one
    'cyclic-versions', // Elle: version orders are total
    'garbage-read', // faultline: a read of a value nobody wrote
    'future-read', // faultline: a read of the transaction's own later write happens in no execution
  ],
  'read-committed': ['G1'], // Adya (PL-2)
  'cursor-stability': ['G1', 'G-cursor', 'lost-update'], // Adya; Bailis
  'monotonic-view': ['G1', 'G-monotonic'], // Adya
  'monotonic-snapshot-read': ['G1', 'G-MSR'], // Adya
  'consistent-view': ['G1', 'G-single'], // Adya
  'forward-consistent-view': ['G1', 'G-SIb'], // Adya
  'update-serializable': ['G1', 'G-update'], // Adya
  'repeatable-read': ['G1', 'G2-item', 'lost-update'], // Adya; Bailis
  'snapshot-isolation': [
    'internal', // Cerone (incomplete)
    'G1', // Adya
    'G-SI', // Adya
    'G-nonadjacent', // Cerone-SI, Daudjee-SI: generalized SI forbids any all-nonadjacent cycle
  ],
  serializable: [
    'internal', // Cerone (incomplete)
    'G1', // Adya
    'G2', // Adya
    'predicate-read-miss', // Elle: a predicate read missing a version every version would match
  ],
  'strict-serializable': ['G1', 'G1c-realtime', 'G2-realtime'], // Adya (PL-SS)

  'read-atomic': [
    'internal', // Cerone (incomplete)
    'G1a', // Cerone (incomplete)
    'future-read', // Cerone: reading one's own later write breaks EXT
  ],
  'causal-cerone': ['internal', 'G1a'], // Cerone (incomplete)
  prefix: ['internal', 'G1a'], // Cerone (incomplete)
  'parallel-snapshot-isolation': ['internal', 'G1a'], // Cerone (incomplete)
  ROLA: ['lost-update'], // ROLA

  'strong-session-read-uncommitted': ['G0-process'], // Elle
  'strong-session-read-committed': ['G1c-process'], // Elle
  'strong-read-uncommitted': ['G0-realtime'], // Elle
  'strong-read-committed': ['G1c-realtime'], // Elle
  'strong-session-snapshot-isolation': ['internal', 'G1-process', 'G-nonadjacent-process'], // Elle, after Cerone-SI
  'strong-snapshot-isolation': ['internal', 'G1-realtime', 'G-nonadjacent-realtime'], // Elle, after Daudjee-SI
  'strong-session-serializable': ['G1-process', 'G2-process'], // Daudjee
};

/** Other accepted names -> the friendly canonical model name. */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  'PL-1': 'read-uncommitted', // Adya (a reading of his PL-1 as SQL's level)
  'PL-2': 'read-committed', // Adya (ditto)
  'PL-CS': 'cursor-stability', // Adya
  'PL-2L': 'monotonic-view', // Adya
  'PL-MSR': 'monotonic-snapshot-read', // Adya
  'PL-2+': 'consistent-view', // Adya
  'PL-FCV': 'forward-consistent-view', // Adya
  'PL-3U': 'update-serializable', // Adya
  'PL-2.99': 'repeatable-read', // Adya
  'PL-SI': 'snapshot-isolation', // Adya
  'PL-3': 'serializable', // Adya
  'conflict-serializable': 'serializable', // Bernstein; our meaning of serializable
  'PL-SS': 'strict-serializable', // Adya
  'strong-serializable': 'strict-serializable', // Elle's choice: the same model
  'strong-session-PL-1': 'strong-session-read-uncommitted', // Elle
  'strong-session-PL-2': 'strong-session-read-committed', // Elle
  'strong-PL-1': 'strong-read-uncommitted', // Elle
  'strong-PL-2': 'strong-read-committed', // Elle
};

// ------------------------------------------------------------------------------------------------
// Graph helpers

type Graph = Readonly<Record<string, readonly string[]>>;

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The reverse of a graph: b -> every a with a -> b. */
function reverse(g: Graph): Record<string, string[]> {
  const r: Record<string, string[]> = {};
  for (const [a, bs] of Object.entries(g)) {
    for (const b of bs) (own(r, b) ? r[b] : (r[b] = [])).push(a);
  }
  return r;
}

/** Every node reachable from `start` along `g`'s edges, `start` included. */
function reach(g: Graph, start: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const s of start) {
    if (!seen.has(s)) {
      seen.add(s);
      queue.push(s);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const next = own(g, queue[i]) ? g[queue[i]] : [];
    for (const n of next) {
      if (!seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return seen;
}

const MODEL_IMPLIED_BY = reverse(MODEL_IMPLIES); // b -> models that imply b (stronger ones)
const ANOMALY_IMPLIED_BY = reverse(ANOMALY_IMPLIES); // b -> anomalies that imply b
const PROSCRIBED_BY = reverse(MODEL_PROSCRIBES); // anomaly -> models directly forbidding it

const ALL_MODELS: readonly string[] = [
  ...new Set([
    ...Object.keys(MODEL_IMPLIES),
    ...Object.values(MODEL_IMPLIES).flat(),
    ...Object.keys(MODEL_PROSCRIBES),
    ...Object.values(MODEL_ALIASES),
  ]),
].sort();
const MODEL_SET: ReadonlySet<string> = new Set(ALL_MODELS);

const ALL_ANOMALIES: readonly string[] = [
  ...new Set([
    ...Object.keys(ANOMALY_IMPLIES),
    ...Object.values(ANOMALY_IMPLIES).flat(),
    ...Object.values(MODEL_PROSCRIBES).flat(),
  ]),
].sort();

/** Loose spelling -> canonical name: lower case, no leading ':' (EDN keywords), '_' and ' ' as '-'. */
const normalize = (s: string): string => s.trim().replace(/^:/, '').replace(/[_\s]+/g, '-').toLowerCase();
const LOOSE_NAMES: ReadonlyMap<string, string> = new Map([
  ...ALL_MODELS.map((m): [string, string] => [normalize(m), m]),
  ...Object.entries(MODEL_ALIASES).map(([a, m]): [string, string] => [normalize(a), m]),
]);

function canonicalOrThrow(name: string): string {
  const m = canonicalModel(name);
  if (m === undefined) {
    throw new RangeError(`unknown consistency model ${JSON.stringify(name)}; known models: ${ALL_MODELS.join(', ')}`);
  }
  return m;
}

// ------------------------------------------------------------------------------------------------
// Public API

/**
 * Canonical friendly model name for a user-given name or alias (e.g. 'PL-3' or
 * 'conflict-serializable' -> 'serializable', 'PL-SI' -> 'snapshot-isolation', 'PL-2' ->
 * 'read-committed', 'strong-serializable' -> 'strict-serializable'), or undefined when unknown.
 * Exact spellings match first; otherwise case, a leading ':' and '_'/' ' for '-' are forgiven.
 */
export function canonicalModel(name: string): string | undefined {
  if (MODEL_SET.has(name)) return name;
  if (own(MODEL_ALIASES, name)) return MODEL_ALIASES[name];
  return LOOSE_NAMES.get(normalize(name));
}

/** Every model name accepted (canonical, sorted). Aliases are accepted too, via canonicalModel. */
export function knownModels(): string[] {
  return [...ALL_MODELS];
}

/** Every anomaly name the lattice mentions (sorted). */
export function knownAnomalies(): string[] {
  return [...ALL_ANOMALIES];
}

/** Every model implied by the given ones (themselves included), canonical names. Throws on an unknown model. */
export function impliedModels(models: readonly string[]): Set<string> {
  return reach(MODEL_IMPLIES, models.map(canonicalOrThrow));
}

/** Every model that implies one of the given ones (themselves included): all ruled out if they are. */
export function impossibleModels(models: readonly string[]): Set<string> {
  return reach(MODEL_IMPLIED_BY, models.map(canonicalOrThrow));
}

/** Whether every history satisfying model `a` satisfies model `b` (reflexive). */
export function modelImplies(a: string, b: string): boolean {
  return impliedModels([a]).has(canonicalOrThrow(b));
}

/** Every anomaly implied by the given ones (including themselves). */
export function impliedAnomalies(anomalies: Iterable<string>): Set<string> {
  return reach(ANOMALY_IMPLIES, anomalies);
}

/** Every anomaly that implies one of the given ones (including themselves). */
export function anomaliesImplying(anomalies: Iterable<string>): Set<string> {
  return reach(ANOMALY_IMPLIED_BY, anomalies);
}

/**
 * Anomalies that cannot be present if all `models` hold: expand models to every model they
 * imply, take what each directly proscribes, then add every anomaly that implies one of those
 * (transitively). Throws a RangeError on an unknown model name.
 */
export function prohibitedAnomalies(models: readonly string[]): Set<string> {
  const direct: string[] = [];
  for (const m of impliedModels(models)) if (own(MODEL_PROSCRIBES, m)) direct.push(...MODEL_PROSCRIBES[m]);
  return anomaliesImplying(direct);
}

/** The models in `ms` that imply no other model in `ms` (the weakest). */
export function weakestModels(ms: Iterable<string>): string[] {
  const set = new Set([...ms].map(canonicalOrThrow));
  return [...set].filter((m) => ![...reach(MODEL_IMPLIES, [m])].some((w) => w !== m && set.has(w))).sort();
}

/** The models in `ms` that no other model in `ms` implies (the strongest). */
export function strongestModels(ms: Iterable<string>): string[] {
  const set = new Set([...ms].map(canonicalOrThrow));
  return [...set].filter((m) => ![...reach(MODEL_IMPLIED_BY, [m])].some((s) => s !== m && set.has(s))).sort();
}

/**
 * Models ruled out by the anomalies found: `not` = the weakest of them (no other ruled-out model
 * is weaker), `alsoNot` = the rest (each implies something in `not`). Friendly canonical names,
 * each array sorted. Anomaly names the lattice does not know rule out nothing by themselves.
 */
export function boundary(anomalies: Iterable<string>): { not: string[]; alsoNot: string[] } {
  const direct: string[] = [];
  for (const a of impliedAnomalies(anomalies)) if (own(PROSCRIBED_BY, a)) direct.push(...PROSCRIBED_BY[a]);
  const impossible = reach(MODEL_IMPLIED_BY, direct);
  const not = weakestModels(impossible);
  const weakest = new Set(not);
  const alsoNot = [...impossible].filter((m) => !weakest.has(m)).sort();
  return { not, alsoNot };
}
