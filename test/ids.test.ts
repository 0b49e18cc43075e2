// Generated ids come from nanoid with a name-safe alphabet: they fit namespace, interface and
// rule names (control/network.ts RUN_ID) and paths, and do not repeat.
import { describe, expect, it } from 'vitest';
import { nameSafeId } from '../control/ids.js';
import { namespaceName, newRunId, RUN_ID } from '../control/network.js';

describe('generated ids', () => {
  it('run ids are 5 lowercase letters and digits, valid run ids', () => {
    const ids = Array.from({ length: 2000 }, () => newRunId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-z]{5}$/);
      expect(id).toMatch(RUN_ID);
      // fl-<run>-<node> must stay a valid interface-length name for short node names
      expect(namespaceName(id, 'n1').length).toBeLessThanOrEqual(15);
    }
  });

  it('nameSafeId gives the asked length from the name-safe alphabet', () => {
    for (const n of [1, 6, 12]) expect(nameSafeId(n)).toMatch(new RegExp(`^[0-9a-z]{${n}}$`));
    // 36^12 values: 2000 draws collide with odds of about 1 in 10^12
    const long = Array.from({ length: 2000 }, () => nameSafeId(12));
    expect(new Set(long).size).toBe(long.length);
    // every character of the alphabet turns up (the generator is not stuck on a subset)
    const seen = new Set(Array.from({ length: 400 }, () => nameSafeId(8)).join(''));
    expect(seen.size).toBe(36);
  });
});
