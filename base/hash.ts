// Hashing helpers shared by the built-in store (its hash ring) and the Merkle trees (merkle.ts).

/** murmur3's 32-bit finalizer: spreads a hash's bits. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
