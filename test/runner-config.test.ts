import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig, testConfigSchema } from '../runner/config.js';
import { jsonValueLines } from '../runner/json-lines.js';

describe('test config', () => {
  it('fills every default, with a seed chosen and recorded', () => {
    const c = resolveConfig({});
    expect(c.target).toEqual({ type: 'builtin', mode: 'leader-follower-sync', nodes: 3, network: 'local', options: {} });
    expect(c.workload).toEqual({ name: 'register', options: {} });
    expect(c.timeLimit).toBe(30);
    expect(c.name).toBe('register-leader-follower-sync');
    expect(Number.isInteger(c.seed)).toBe(true);
    expect(resolveConfig({ seed: 7 }).seed).toBe(7);
  });

  it("runs a workload on its natural mode unless a mode is given", () => {
    expect(resolveConfig({ workload: { name: 'or-set' } }).target.mode).toBe('crdt');
    expect(resolveConfig({ workload: { name: 'or-set' }, target: { mode: 'sharded' } }).target.mode).toBe('sharded');
    expect(() => resolveConfig({ workload: { name: 'nope' } })).toThrow(/unknown workload/);
  });

  it('resolves the real targets: postgres is one server, stdio needs an adapter and runs the built-in store unless told not to', () => {
    const pg = resolveConfig({ target: { type: 'postgres', options: { isolation: 'read-committed' } }, workload: { name: 'list-append' } });
    expect(pg.target).toMatchObject({ type: 'postgres', nodes: 1, network: 'local', options: { isolation: 'read-committed' } });
    expect(pg.target.mode).toBeUndefined();
    expect(pg.name).toBe('list-append-postgres-read-committed');
    // postgres serves only the transactional workloads, list-append by default; redis its three.
    expect(resolveConfig({ target: { type: 'postgres' } }).workload.name).toBe('list-append');
    expect(() => resolveConfig({ target: { type: 'postgres' }, workload: { name: 'register' } }, 'flags')).toThrow(/^flags: "workload\.name" must be one of "list-append", "rw-register" for postgres, got "register"$/);
    expect(() => resolveConfig({ target: { type: 'redis' }, workload: { name: 'list-append' } }, 'flags')).toThrow(/for redis, got "list-append"$/);
    expect(() => resolveConfig({ target: { type: 'postgres', nodes: 3 } }, 'flags')).toThrow(/^flags: "target\.nodes" must be 1 for postgres/);
    expect(() => resolveConfig({ target: { type: 'postgres' }, nemesis: { faults: ['partition'] } }, 'flags')).toThrow(/partition cannot act on postgres/);
    expect(() => resolveConfig({ target: { type: 'postgres', options: { isolation: 'snapshot' } } }, 'flags')).toThrow(/"target\.options\.isolation" must be one of "read-committed"/);
    expect(resolveConfig({ target: { type: 'redis', options: { readFrom: 'replica', waitReplicas: 1 } } }).target).toMatchObject({ nodes: 3, options: { readFrom: 'replica', waitReplicas: 1 } });
    expect(resolveConfig({ target: { type: 'redis' } }).quiesce).toBe(2);
    expect(resolveConfig({ target: { type: 'redis' }, nemesis: { faults: ['pause'] } }).quiesce).toBe(12);
    expect(resolveConfig({ target: { type: 'redis' }, nemesis: { faults: ['pause'] }, quiesce: 3 }).quiesce).toBe(3);
    expect(resolveConfig({ nemesis: { faults: ['pause'] } }).quiesce).toBe(2);
    expect(() => resolveConfig({ target: { type: 'etcd', options: { readFrom: 'replica' } } }, 'f.json')).toThrow(/^f\.json: "target\.options\.readFrom" is for redis, not etcd$/);
    expect(() => resolveConfig({ target: { type: 'stdio' } }, 'flags')).toThrow(/^flags: target stdio needs "target\.options\.adapter"/);
    const stdio = resolveConfig({ target: { type: 'stdio', options: { adapter: ['python3', 'a.py'] } } });
    expect(stdio.target.mode).toBe('leader-follower-sync');
    const own = resolveConfig({ target: { type: 'stdio', options: { adapter: ['./a'], system: 'none' } } });
    expect(own.target.mode).toBeUndefined();
    expect(() => resolveConfig({ target: { type: 'stdio', options: { adapter: ['./a'], system: 'none' } }, nemesis: { faults: ['partition'] } }, 'flags')).toThrow(/does not run/);
    expect(() => resolveConfig({ target: { type: 'redis', mode: 'crdt' } }, 'flags')).toThrow(/"target\.mode" is for the built-in store; redis has no modes/);
  });

  it('takes the system and the nodes from a cluster file, and refuses what contradicts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-config-'));
    try {
      writeFileSync(join(dir, 'key'), 'not really a key\n');
      const file = join(dir, 'cluster.json');
      const node = (i: number) => ({ name: `db${i}`, host: `10.0.0.${i}`, user: 'root', key: join(dir, 'key') });
      writeFileSync(file, JSON.stringify({ target: 'etcd', nodes: [node(1), node(2), node(3), node(4)] }, null, 2));
      const c = resolveConfig({ cluster: file, nemesis: { faults: ['partition', 'kill', 'delay'] } }, 'flags');
      expect(c.target).toMatchObject({ type: 'system', system: resolve('systems/etcd.json'), systemOptions: {}, nodes: 4, network: 'local' });
      expect(c.name).toBe('register-etcd');
      expect(() => resolveConfig({ cluster: file, target: { type: 'redis' } }, 'flags')).toThrow(/^flags: "target\.type" is redis, but the cluster file .* runs the system etcd \(.*systems\/etcd\.json\)$/);
      expect(() => resolveConfig({ cluster: file, target: { nodes: 3 } }, 'flags')).toThrow(/names 4 nodes$/);
      expect(() => resolveConfig({ cluster: file, target: { options: { isolation: 'serializable' } } }, 'flags')).toThrow(
        /^flags: "target\.options\.isolation" does not apply to etcd, whose client is faultline's etcd client$/,
      );
      expect(() => resolveConfig({ cluster: join(dir, 'none.json') }, 'flags')).toThrow(/cannot read cluster file/);
      // The cluster file's options reach the system; a --option the description declares is the system's.
      writeFileSync(file, JSON.stringify({ system: 'etcd', options: { heartbeatMs: 100, electionTimeoutMs: 1000 }, nodes: [node(1), node(2), node(3)] }, null, 2));
      const o = resolveConfig({ cluster: file, workload: { options: { electionTimeoutMs: 2000, keys: 4 } } }, 'flags');
      expect(o.target.systemOptions).toEqual({ heartbeatMs: '100', electionTimeoutMs: '2000' });
      expect(o.workload.options).toEqual({ keys: 4 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a described system (--system FILE or a built-in name) in namespaces, with its workloads and options', () => {
    const c = resolveConfig({ target: { system: 'redis' }, workload: { name: 'set', options: { downAfterMs: 2000 } } }, 'flags');
    expect(c.target).toMatchObject({ type: 'system', system: resolve('systems/redis.json'), systemOptions: { downAfterMs: '2000' }, nodes: 3, network: 'netns' });
    expect(c.name).toBe('set-redis');
    expect(c.quiesce).toBe(2);
    expect(resolveConfig({ target: { system: 'redis' }, nemesis: { faults: ['kill'] } }, 'flags').quiesce).toBe(12);
    const pg = resolveConfig({ target: { system: 'systems/postgres.json', options: { isolation: 'read-committed' } } }, 'flags');
    expect(pg.target).toMatchObject({ nodes: 1, options: { isolation: 'read-committed' } });
    expect(pg.workload.name).toBe('list-append');
    expect(pg.name).toBe('list-append-postgres-read-committed');
    expect(() => resolveConfig({ target: { system: 'redis' }, workload: { name: 'list-append' } }, 'flags')).toThrow(
      /^flags: "workload\.name" must be one of "register", "set", "counter" for redis \(its client serves those: .*systems\/redis\.json\), got "list-append"$/,
    );
    expect(() => resolveConfig({ target: { system: 'redis', network: 'local' } }, 'flags')).toThrow(/cannot run a described system: each node runs in its own network namespace/);
    expect(() => resolveConfig({ target: { system: 'redis', type: 'etcd' } }, 'flags')).toThrow(/^flags: "target\.system" runs a described system; "target\.type" etcd is another target/);
    expect(() => resolveConfig({ target: { system: 'nope.json' } }, 'flags')).toThrow(/^flags: "target\.system": no such system description .*nope\.json/);
    expect(() => resolveConfig({ target: { system: 'redis', systemOptions: { bogus: 1 } } }, 'flags')).toThrow(/^flags: "target\.systemOptions\.bogus": redis has no such option/);
    expect(() => resolveConfig({ target: { system: 'etcd', options: { readFrom: 'replica' } } }, 'flags')).toThrow(/"target\.options\.readFrom" does not apply to etcd/);
    expect(() => resolveConfig({ target: { system: 'postgres', nodes: 3 } }, 'flags')).toThrow(/^flags: "target\.nodes" is 3, but postgres runs at most 1 node as one cluster \(.*systems\/postgres\.json: "maxNodes"\)$/);
  });

  it('names the file, the line and the field of the first mistake', () => {
    const text = '{\n  "concurrency": 4,\n  "target": {\n    "mode": "bogus"\n  }\n}\n';
    expect(() => resolveConfig(JSON.parse(text), 'my.json', text)).toThrow(/^my\.json:4: "target\.mode" must be one of "leader-follower-sync".*got "bogus"$/);
    const extra = '{\n  "timeLimit": 3,\n  "nemesis": { "faults": ["kill"], "every": 2 }\n}';
    expect(() => resolveConfig(JSON.parse(extra), 'x.json', extra)).toThrow(/^x\.json:3: unknown field "nemesis\.every"$/);
    expect(() => resolveConfig({ concurrency: 0 }, 'flags')).toThrow(/^flags: "concurrency" must be >= 1, got 0$/);
  });

  it('does not change what it was given', () => {
    const raw = { target: { nodes: 5 } };
    resolveConfig(raw);
    expect(raw).toEqual({ target: { nodes: 5 } });
  });

  it('publishes the schema it validates with', () => {
    const published = JSON.parse(readFileSync(new URL('../schemas/test-config.schema.json', import.meta.url), 'utf8'));
    // Regenerate with: node -e "import('./dist/runner/config.js').then(m => fs.writeFileSync(…))" (see README).
    expect(published).toEqual(JSON.parse(JSON.stringify(testConfigSchema)));
  });
});

describe('jsonValueLines', () => {
  it('finds the line of nested values, array elements and escaped keys', () => {
    const text = '{\n "a": {\n  "b\\"c": [\n   1,\n   {"d": "x,}"}\n  ]\n },\n "e": null\n}';
    const lines = jsonValueLines(text);
    expect(lines.get('')).toBe(1);
    expect(lines.get('/a')).toBe(2);
    expect(lines.get('/a/b"c')).toBe(3);
    expect(lines.get('/a/b"c/0')).toBe(4);
    expect(lines.get('/a/b"c/1/d')).toBe(5);
    expect(lines.get('/e')).toBe(8);
  });
});

describe('test config: the network', () => {
  it('runs nodes in namespaces when a network fault is asked for, else locally; refuses a partition on "local"', () => {
    expect(resolveConfig({ nemesis: { faults: ['partition'] } }).target.network).toBe('netns');
    expect(resolveConfig({ nemesis: { faults: ['kill'] } }).target.network).toBe('local');
    expect(resolveConfig({ target: { network: 'netns' } }).target.network).toBe('netns');
    expect(() => resolveConfig({ target: { network: 'local' }, nemesis: { faults: ['partition'] } }, 'flags')).toThrow(/^flags: partition needs the nodes in network namespaces/);
    expect(resolveConfig({}).nemesis.partitions).toContain('majorities-ring');
    expect(() => resolveConfig({ nemesis: { partitions: ['triangle'] } }, 'flags')).toThrow(/"nemesis\.partitions\.0" must be one of "halves"/);
  });
});

// Issue 17's mode options ride in --option beside the workload's own; issue 20 checks the
// workload's options against its schema. The store's are moved out first, then the rest checked
// (merged the other way round, `--mode cache --option invalidation=ttl` was refused).
describe("test config: the store's mode options given with --option", async () => {
  const { configFromArgs } = await import('../cli/test.js');
  it('are moved to the target before the workload checks its own', () => {
    const c = configFromArgs({ mode: 'cache', option: ['invalidation=ttl', 'keys=4'], nemesis: 'none' } as Parameters<typeof configFromArgs>[0]);
    expect(c.target.options.invalidation).toBe('ttl');
    expect(c.workload.options.invalidation).toBeUndefined();
  });
  it('a misspelt one is still refused, naming it', () => {
    expect(() => configFromArgs({ mode: 'cache', option: ['invalidaton=ttl'], nemesis: 'none' } as Parameters<typeof configFromArgs>[0])).toThrow(/invalidaton/);
  });
});
