import { describe, expect, it } from 'vitest';
import { BUILTIN_CHECKERS, loadChecker } from '../checker/load.js';
import { getChecker, listCheckers, registerChecker } from '../checker/registry.js';

describe('loadChecker', () => {
  it('knows every checker the registry has built in, as the same object', async () => {
    const registered = listCheckers().map((c) => c.name).filter((n) => BUILTIN_CHECKERS.includes(n) || !/^(always-|echo-|test-)/.test(n));
    expect([...BUILTIN_CHECKERS].sort()).toEqual(registered.sort());
    for (const name of BUILTIN_CHECKERS) expect(await loadChecker(name)).toBe(getChecker(name));
  });

  it('finds checkers registered by a library user, and names the known ones for an unknown name', async () => {
    registerChecker({ name: 'test-loaded', description: '', check: async () => ({ valid: true }) });
    expect((await loadChecker('test-loaded')).name).toBe('test-loaded');
    await expect(loadChecker('nope')).rejects.toThrow(/unknown checker "nope"; known checkers: .*linearizable/);
  });
});
