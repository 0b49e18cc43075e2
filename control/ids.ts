// Generated ids, from nanoid (the system's random source, no bias). Ids that end up in network
// namespace, interface, socket and rule names take lowercase letters and digits only: safe in
// every such name and in paths, and short, since Linux caps interface names at 15 characters.
import { customAlphabet } from 'nanoid';

export const NAME_SAFE_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

const makers = new Map<number, () => string>();

/** A random id of `size` lowercase letters and digits (36^size values). */
export function nameSafeId(size: number): string {
  let make = makers.get(size);
  if (!make) makers.set(size, (make = customAlphabet(NAME_SAFE_ALPHABET, size)));
  return make();
}
