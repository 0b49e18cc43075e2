#!/usr/bin/env node
// The project's one test command (`npm test`): makes sure what the tests need is on the machine,
// builds, runs every vitest test, and ends with the line CI counts: "N passed, N failed".
import { execa } from 'execa';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, '.vitest-results.json');

// System packages the tests need, as [command that proves it is there, Debian package].
// Tests never skip because one is missing: we install it, or fail saying why.
const SYSTEM_PACKAGES = [
  ['chromium', 'chromium'], // the report page test
  ['ip', 'iproute2'], // network namespaces for partitions and link faults
  ['iptables', 'iptables'], // partitions, packet loss, the root-namespace guard rule
  ['tc', 'iproute2'], // bandwidth limits (tbf), netem where the kernel has it
  ['etcd', 'etcd-server'], // the etcd target
  ['etcdctl', 'etcd-client'],
  ['sshd', 'openssh-server'], // the ssh control's real test
  ['ssh', 'openssh-client'],
  ['/usr/lib/postgresql/*/bin/postgres', 'postgresql'], // the postgres target (Debian keeps the server off PATH)
  ['patroni', 'patroni'], // replicated postgres (--replicas): Patroni's failover, with etcd-server as its store
  ['curl', 'curl'], // postgres-patroni's health and primaries commands
  ['redis-server', 'redis-server'], // the redis target
  ['redis-sentinel', 'redis-sentinel'],
  ['redis-cli', 'redis-tools'], // the CLI test pokes a cluster up by hand
  ['python3', 'python3'], // the stdio target's example adapter
  ['nats-server', 'nats-server'], // examples/systems/nats.json
  ['/usr/sbin/mariadbd', 'mariadb-server'], // examples/systems/galera.json
  ['/usr/lib/galera/libgalera_smm.so', 'galera-4'],
  ['/usr/lib/python3/dist-packages/pymysql', 'python3-pymysql'], // the Galera example's adapter
  ['rsync', 'rsync'], // Galera's state transfer
];

/** A command on PATH, or (starting with /) a file's path where * matches any one folder name. */
async function have(command) {
  const script = command.startsWith('/') ? 'for f in $1; do [ -e "$f" ] && exit 0; done; exit 1' : 'command -v "$1"';
  return (await execa('sh', ['-c', script, 'sh', command], { reject: false })).exitCode === 0;
}

async function ensureSystemPackages() {
  const missing = [];
  for (const [command, pkg] of SYSTEM_PACKAGES) if (!(await have(command)) && !missing.includes(pkg)) missing.push(pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !(await have('apt-get'))) {
    console.error(`tests need these Debian packages, and this shell cannot install them (needs root and apt-get): ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`installing ${missing.join(' ')} (needed by the tests)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  await execa('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

await ensureSystemPackages();
await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
rmSync(results, { force: true });
const vitest = await execa(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', reject: false },
);
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  // A test file that fails to load has no tests to fail: count it as one failure.
  const brokenFiles = r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  let failed = r.numFailedTests + brokenFiles;
  if (failed === 0 && vitest.exitCode !== 0) {
    console.log('vitest reported errors outside any test (see above)');
    failed = 1;
  }
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
} else {
  console.log('0 passed, 1 failed');
}
process.exit(vitest.exitCode ?? 1);
