import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { opSchema } from '../histories/op-schema.js';
import { opValidatorSource } from '../histories/op-validator-source.js';
import { validateOp } from '../histories/schema.js';

describe('the generated op validator', () => {
  it('is what ajv compiles from the op schema today (run `npm run gen:validators` if not)', () => {
    const committed = readFileSync(new URL('../histories/validate-op.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(opValidatorSource());
  });

  it('gives the answers and first errors of a run-time ajv compile', () => {
    const runtime = new Ajv({ allErrors: false, strict: true }).compile(opSchema);
    const cases: unknown[] = [
      { index: 0, type: 'invoke', process: 0, f: 'read', value: null },
      { index: 0, type: 'invoke', process: 'nemesis', f: 'start', value: null, node: 'n1', final: true },
      { index: 1.5, type: 'ok', process: 0, f: 'read', value: 1 },
      { index: 1, type: 'done', process: 0, f: 'read', value: 1 },
      { index: 1, type: 'ok', process: 'x', f: 'read', value: 1 },
      { index: 1, type: 'ok', process: 0, f: '', value: 1 },
      { index: 1, type: 'ok', process: 0, f: 'é', value: 1 },
      { index: 1, type: 'ok', process: 0, f: 'read' },
      { index: 1, type: 'ok', process: 0, f: 'cas', value: [1, 2], result: 'no' },
      { index: 1, time: 'late', type: 'ok', process: 0, f: 'read', value: 1 },
      [1, 2],
      'op',
    ];
    for (const c of cases) {
      expect(validateOp(c)).toBe(runtime(c));
      expect(validateOp.errors ?? null).toEqual(runtime.errors ?? null);
    }
  });
});
