#!/usr/bin/env node
// Kept tiny so `faultline --version` answers without loading the CLI.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(pkg.version + '\n');
} else {
  let main;
  try {
    ({ main } = await import('../dist/cli/main.js'));
  } catch (e) {
    process.stderr.write(
      `faultline: the compiled CLI is missing (${e?.code ?? e}); run "npm ci" or "npm run build" in ${new URL('..', import.meta.url).pathname}\n`,
    );
    process.exit(3);
  }
  process.exitCode = await main(argv);
}
