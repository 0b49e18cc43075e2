#!/usr/bin/env node
// Writes histories/validate-op.generated.ts from the op schema (run after `tsc`: it reads dist/).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { opValidatorSource } = await import(join(root, 'dist', 'histories', 'op-validator-source.js'));
writeFileSync(join(root, 'histories', 'validate-op.generated.ts'), opValidatorSource());
console.log('wrote histories/validate-op.generated.ts');
