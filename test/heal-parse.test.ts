import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitRuleLine, taggedRules } from '../nemesis/heal.js';

describe('faultline heal: reading iptables -S', () => {
  it('splits words, with quoted ones kept whole', () => {
    expect(splitRuleLine('-A OUTPUT -d 198.18.0.0/15 -m comment --comment "faultline:ab12c" -j REJECT')).toEqual([
      '-A', 'OUTPUT', '-d', '198.18.0.0/15', '-m', 'comment', '--comment', 'faultline:ab12c', '-j', 'REJECT',
    ]);
    expect(splitRuleLine('-A X -m comment --comment "two words \\"q\\"" -j ACCEPT')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'two words "q"', '-j', 'ACCEPT']);
  });

  it('finds only rules tagged faultline:<runid>, each with the arguments that delete it', () => {
    const listing = [
      '-P INPUT ACCEPT',
      '-P OUTPUT ACCEPT',
      '-N FAULTLINE-PARTITION',
      '-A OUTPUT -d 198.18.0.0/15 -m comment --comment "faultline:ab12c" -j REJECT --reject-with icmp-port-unreachable',
      '-A OUTPUT -d 10.0.0.0/8 -m comment --comment "not-faultline:ab12c" -j REJECT',
      '-A OUTPUT -m comment --comment "faultline:AB" -j REJECT',
      '-A INPUT -m comment --comment faultline:zz9 -j DROP',
      '-A INPUT -j ACCEPT',
    ].join('\n');
    const found = taggedRules('filter', listing);
    expect(found.map((f) => f.runId)).toEqual(['ab12c', 'zz9']);
    expect(found[0].rule.deleteArgs).toEqual([
      '-t', 'filter', '-D', 'OUTPUT', '-d', '198.18.0.0/15', '-m', 'comment', '--comment', 'faultline:ab12c', '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable',
    ]);
  });

  it('any word without spaces, quoted or not, comes back as it was', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }).filter((w) => !/[ \\"]/.test(w)), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (words, quote) => {
        const line = words.map((w, i) => (quote[i] ? `"${w}"` : w)).join(' ');
        expect(splitRuleLine(line)).toEqual(words);
      }),
    );
  });
});
