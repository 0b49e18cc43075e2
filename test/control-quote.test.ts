// The remote-shell quoting is checked against a real POSIX shell: whatever the strings, quoting
// them and letting `sh -c` parse the result must hand printf exactly the original arguments.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execa } from 'execa';
import { quoteArg, quoteArgv } from '../control/quote.js';

/** What `sh` parses out of the quoted words: printf writes each argument NUL-terminated. */
async function throughShell(args: readonly string[]): Promise<string[]> {
  const r = await execa('sh', ['-c', 'printf "%s\\0" ' + quoteArgv(args)], { stripFinalNewline: false, encoding: 'utf8' });
  const parts = r.stdout.split('\0');
  expect(parts.pop()).toBe('');
  return parts;
}

// Characters a shell treats specially, weighted up so most strings contain several of them.
const hostile = ["'", '"', '$', '`', '\\', '\n', '\r', '\t', ' ', '*', '?', '[', ']', '~', '!', ';', '&', '|', '<', '>', '(', ')', '{', '}', '#', '=', '%', '-', '$(', '${', "'\\''", 'é', '日本', '🙂'];
const anyCodePoint = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 1 })
  // Lone surrogates cannot be written as UTF-8, and NUL cannot be in an argv: neither is quoting's business.
  .filter((c) => c !== '\0' && Buffer.from(c, 'utf8').toString('utf8') === c);
const shellString = fc.string({ unit: fc.oneof(fc.constantFrom(...hostile), anyCodePoint, fc.constantFrom('a', 'b', '0')), maxLength: 24 });

describe('quoteArgv', () => {
  it('arbitrary strings survive a real sh -c unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(shellString, { minLength: 1, maxLength: 6 }), async (args) => {
        expect(await throughShell(args)).toEqual(args);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps empty strings, leading dashes and glob characters as they are', async () => {
    const args = ['', '-n', '--', '*', "it's", "''", '$HOME', '`id`', '$(id)', 'a\nb', ' ', '\\', '~'];
    expect(await throughShell(args)).toEqual(args);
  });

  it('quotes every word, including the empty one', () => {
    expect(quoteArg('')).toBe("''");
    expect(quoteArg('plain')).toBe("'plain'");
    expect(quoteArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteArgv(['A=b', 'c'])).toBe(`'A=b' 'c'`);
  });

  it('refuses a NUL byte with a message saying so', () => {
    expect(() => quoteArgv(['ok', 'a\0b'])).toThrow(/NUL byte/);
  });
});
