// Turns a cycle of transaction ids into evidence a person can check by hand: the transactions in
// order, named T1…Tn, and for each edge the key and a sentence saying why it exists.
import type { Anomaly } from './anomalies.js';
import { txnEvidence } from './anomalies.js';
import type { FoundCycle } from './cycles.js';
import { EDGE_NAMES, PROCESS, REALTIME } from './graph.js';
import type { Txns } from './txns.js';

/** Why `a` → `b` has an edge of `type`, or undefined when the workload cannot say. */
export type EdgeExplainer = (a: number, b: number, type: number, nameA: string, nameB: string) => { key?: unknown; sentence: string } | undefined;

export interface CycleStep {
  from: string;
  to: string;
  type: string;
  key?: unknown;
  why: string;
}

function orderSentence(txns: Txns, a: number, b: number, type: number, nameA: string, nameB: string): string {
  if (type === PROCESS) return `${nameA} and ${nameB} ran on process ${txns.process[b]}, ${nameA} first, so ${nameA} process→ ${nameB}`;
  return `${nameA} completed (index ${txns.index[a]}) before ${nameB} was invoked (index ${txns.invokeIndex[b]}), so ${nameA} realtime→ ${nameB}`;
}

export function cycleAnomaly(txns: Txns, cycle: FoundCycle, explain: EdgeExplainer): Anomaly {
  const names = cycle.nodes.map((_, i) => `T${i + 1}`);
  const steps: CycleStep[] = cycle.nodes.map((a, i) => {
    const j = (i + 1) % cycle.nodes.length;
    const b = cycle.nodes[j];
    const type = cycle.types[i];
    const found = type === PROCESS || type === REALTIME ? undefined : explain(a, b, type, names[i], names[j]);
    const why = found?.sentence ?? (type === PROCESS || type === REALTIME ? orderSentence(txns, a, b, type, names[i], names[j]) : `${names[i]} ${EDGE_NAMES[type]}→ ${names[j]}`);
    return { from: names[i], to: names[j], type: EDGE_NAMES[type], ...(found?.key !== undefined ? { key: found.key } : {}), why };
  });
  return {
    type: cycle.name,
    sentence: `${steps.map((s) => s.why).join('; ')}: a cycle (${cycle.nodes.map((t, i) => `${names[i]} = index ${txns.index[t]}`).join(', ')})`,
    ops: cycle.nodes.map((t) => txns.index[t]),
    cycle: cycle.nodes.map((t, i) => txnEvidence(txns, t, names[i])),
    steps,
  };
}
