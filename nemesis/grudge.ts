// Partition shapes as pure functions. A grudge maps a node to the nodes it drops packets from
// (Jepsen's term); the partition fault turns it into iptables rules. Nodes absent from a grudge
// drop nothing. Shapes that choose nodes take the test's seeded Random, so a seed replays them.
import type { Random } from '../base/random.js';

export type Grudge = Record<string, string[]>;

export const SHAPE_NAMES = ['halves', 'random-halves', 'isolate-one', 'majorities-ring', 'bridge', 'primaries'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** A copy of `nodes` in an order drawn from `random` (Fisher–Yates). */
export function shuffle<T>(nodes: readonly T[], random: Random): T[] {
  const out = [...nodes];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Every node drops every node outside its own component (nodes in no component are untouched). */
export function complete(components: readonly (readonly string[])[]): Grudge {
  const all = components.flat();
  const grudge: Grudge = {};
  for (const comp of components) {
    const inside = new Set(comp);
    const others = all.filter((n) => !inside.has(n));
    if (others.length === 0) continue;
    for (const n of comp) grudge[n] = others;
  }
  return grudge;
}

/** [the first ⌊n/2⌋ nodes, the rest]: the first half is the smaller when n is odd. */
export function bisect(nodes: readonly string[]): [string[], string[]] {
  const k = Math.floor(nodes.length / 2);
  return [nodes.slice(0, k), nodes.slice(k)];
}

/** The first ⌊n/2⌋ nodes against the rest. */
export function halves(nodes: readonly string[]): Grudge {
  return complete(bisect(nodes));
}

/** Halves of the nodes in a random order. */
export function randomHalves(nodes: readonly string[], random: Random): Grudge {
  return halves(shuffle(nodes, random));
}

/** Halves with the sides named: the minority (⌊n/2⌋ nodes, chosen at random) cut off from the majority. */
export function majorityMinority(nodes: readonly string[], random: Random): { grudge: Grudge; majority: string[]; minority: string[] } {
  const [minority, majority] = bisect(shuffle(nodes, random));
  return { grudge: complete([minority, majority]), majority, minority };
}

/** One node (`which`, or one drawn from `which` when it is a Random) cut off from all the others. */
export function isolateOne(nodes: readonly string[], which: string | Random): Grudge {
  const node = typeof which === 'string' ? which : which.pick(nodes);
  if (!nodes.includes(node)) throw new Error(`isolate-one: ${JSON.stringify(node)} is not one of ${nodes.join(', ')}`);
  return complete([[node], nodes.filter((n) => n !== node)]);
}

/** Each of `primaries` alone, cut off from every other node (Jepsen's :primaries). */
export function isolatePrimaries(nodes: readonly string[], primaries: readonly string[]): Grudge {
  for (const p of primaries) if (!nodes.includes(p)) throw new Error(`primaries: ${JSON.stringify(p)} is not one of ${nodes.join(', ')}`);
  const set = new Set(primaries);
  const rest = nodes.filter((n) => !set.has(n));
  return complete([...[...set].map((p) => [p]), ...(rest.length > 0 ? [rest] : [])]);
}

/**
 * Jepsen's majorities ring: the nodes in a (random) ring, each seeing the majority-sized arc of the
 * ring centred on itself and dropping the rest. Every node sees a majority, and no two see the same
 * one (for 3 or more nodes), so no majority can agree while every node believes it is in one. When
 * the majority is an even number (3, 6, 7 nodes…) the arcs cannot be centred exactly, so the grudge
 * is not symmetric: a may accept b's packets while b drops a's.
 */
export function majoritiesRing(nodes: readonly string[], random?: Random): Grudge {
  const ring = random ? shuffle(nodes, random) : [...nodes];
  const n = ring.length;
  const m = Math.floor(n / 2) + 1;
  const grudge: Grudge = {};
  if (m >= n) return grudge; // one or two nodes: a majority is everyone
  for (let start = 0; start < n; start++) {
    const arc = new Set(Array.from({ length: m }, (_, k) => ring[(start + k) % n]));
    const centre = ring[(start + Math.floor(m / 2)) % n];
    grudge[centre] = ring.filter((x) => !arc.has(x));
  }
  return grudge;
}

/**
 * Two halves that drop each other, joined by one node both sides still reach (Jepsen's bridge).
 * Needs 3 nodes; with fewer there is nothing to bridge and the grudge is empty.
 */
export function bridge(nodes: readonly string[], random?: Random): Grudge {
  const order = random ? shuffle(nodes, random) : [...nodes];
  if (order.length < 3) return {};
  const mid = Math.floor(order.length / 2);
  const left = order.slice(0, mid);
  const right = order.slice(mid + 1);
  return complete([left, right]);
}

/** The grudge of shape `name` over `nodes`; `primaries` is needed by (only) the primaries shape. */
export function shape(name: ShapeName, nodes: readonly string[], random: Random, primaries?: readonly string[]): Grudge {
  switch (name) {
    case 'halves':
      return halves(nodes);
    case 'random-halves':
      return randomHalves(nodes, random);
    case 'isolate-one':
      return isolateOne(nodes, random);
    case 'majorities-ring':
      return majoritiesRing(nodes, random);
    case 'bridge':
      return bridge(nodes, random);
    case 'primaries':
      if (primaries === undefined) throw new Error('the primaries shape needs the nodes the target reports as primaries');
      return isolatePrimaries(nodes, primaries);
  }
}

export function isShapeName(x: unknown): x is ShapeName {
  return typeof x === 'string' && (SHAPE_NAMES as readonly string[]).includes(x);
}

/**
 * A grudge checked against the cluster's `nodes` and put in a canonical form (keys and lists in
 * cluster order, no duplicates, nodes that drop nothing left out). Throws naming what is wrong.
 */
export function validateGrudge(value: unknown, nodes: readonly string[]): Grudge {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`a grudge is an object from node to the nodes it drops, e.g. {"n1":["n2"]}; got ${JSON.stringify(value)}`);
  }
  const order = new Map(nodes.map((n, i) => [n, i]));
  const raw = value as Record<string, unknown>;
  for (const [node, drops] of Object.entries(raw)) {
    if (!order.has(node)) throw new Error(`grudge: ${JSON.stringify(node)} is not a node (nodes: ${nodes.join(', ')})`);
    if (!Array.isArray(drops)) throw new Error(`grudge: ${node} must map to a list of nodes, got ${JSON.stringify(drops)}`);
    for (const d of drops) {
      if (typeof d !== 'string' || !order.has(d)) throw new Error(`grudge: ${node} drops ${JSON.stringify(d)}, which is not a node (nodes: ${nodes.join(', ')})`);
      if (d === node) throw new Error(`grudge: ${node} cannot drop itself`);
    }
  }
  const out: Grudge = {};
  for (const n of nodes) {
    const drops = raw[n] as string[] | undefined;
    if (!drops || drops.length === 0) continue;
    const set = new Set(drops);
    out[n] = nodes.filter((x) => set.has(x));
  }
  return out;
}

/** Whether a node drops b exactly when b drops it. */
export function isSymmetric(grudge: Grudge): boolean {
  for (const [a, drops] of Object.entries(grudge)) for (const b of drops) if (!(grudge[b] ?? []).includes(a)) return false;
  return true;
}

/** The nodes `node` still accepts packets from, itself included. */
export function sees(grudge: Grudge, nodes: readonly string[], node: string): string[] {
  const drops = new Set(grudge[node] ?? []);
  return nodes.filter((n) => !drops.has(n));
}

/** The nodes cut off from `node` in either direction. */
export function cutOff(grudge: Grudge, node: string): string[] {
  const out = new Set(grudge[node] ?? []);
  for (const [a, drops] of Object.entries(grudge)) if (drops.includes(node)) out.add(a);
  return [...out];
}
