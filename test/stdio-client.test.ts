// The stdio target's clients against real adapter processes (test/fixtures/stdio/fixture_adapter.py,
// in-memory, misbehaving on request, and the example adapter with no store behind it): replies
// matched by id in any order and across reads, aborts, malformed output (TargetFailed naming the
// adapter and the line), exits (info, restart) and the restart limit, closing and the processes'
// end with faultline.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Op } from '../histories/op.js';
import { InputError } from '../histories/errors.js';
import { TargetFailed, type Client } from '../targets/types.js';
import { createStdioTarget, guardedArgv, type StdioTarget, type StdioTargetOptions } from '../targets/stdio/index.js';
import { python } from './fixtures/stdio/python.js';
import { running } from '../control/proc.js';
import { until } from './helpers/wait.js';

const PY = python();
const FIXTURE = 'test/fixtures/stdio/fixture_adapter.py';
const EXAMPLE = 'examples/stdio/builtin_adapter.py';
const root = mkdtempSync(join(tmpdir(), 'fl-stdio-client-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;
const targets: StdioTarget[] = [];
afterEach(async () => {
  const all = targets.splice(0);
  await Promise.all(all.map((t) => t.teardown()));
  // Nothing outlives its target.
  for (const t of all) for (const n of t.nodes) for (const pid of t.stats(n).pids) expect(running(pid), `adapter pid ${pid} of ${n}`).toBe(false);
});

async function target(fixtureArgs: string[], o: Partial<StdioTargetOptions> = {}): Promise<StdioTarget> {
  const t = createStdioTarget({ dir: join(root, `run-${++runs}`), adapter: [PY, FIXTURE, ...fixtureArgs], nodes: ['n1'], ...o });
  targets.push(t);
  await t.setup();
  return t;
}

let index = 0;
function op(f: string, value: unknown = null, key?: unknown): Op {
  const o: Op = { index: index++, type: 'invoke', process: 0, f, value, node: 'n1' };
  if (key !== undefined) o.key = key;
  return o;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('stdio client: the contract kept', () => {
  it('sends f, key and value, and the adapter sees its node, address and workload', async () => {
    const t = await target([], { address: (n) => `unix:/tmp/${n}.sock`, workload: 'register' });
    const c = t.client('n1');
    await c.open();
    const w = await c.invoke(op('write', 5, 'k'));
    expect(w).toMatchObject({ type: 'ok', f: 'write', key: 'k', value: 5 });
    expect(w.error).toBeUndefined();
    expect(await c.invoke(op('read', null, 'k'))).toMatchObject({ type: 'ok', value: 5 });
    expect(await c.invoke(op('cas', [4, 6], 'k'))).toMatchObject({ type: 'fail', value: [4, 6], error: 'mismatch' });
    expect((await c.invoke(op('env'))).value).toEqual({ FAULTLINE_NODE: 'n1', FAULTLINE_ADDRESS: 'unix:/tmp/n1.sock', FAULTLINE_WORKLOAD: 'register' });
    expect(t.logs('n1')).toEqual([join(root, `run-${runs}`, 'logs', 'n1', 'adapter-1.log')]);
    expect(readFileSync(t.logs('n1')[0], 'utf8')).toMatch(/fixture_adapter \d+ on n1/);
  });

  it('matches replies by id when they come out of order, several in one read', async () => {
    const t = await target(['--reverse']);
    const c = t.client('n1');
    const order: number[] = [];
    const a = c.invoke(op('write', 1, 'a')).then((r) => (order.push(1), r));
    const b = c.invoke(op('write', 2, 'b')).then((r) => (order.push(2), r));
    expect((await a).value).toBe(1);
    expect((await b).value).toBe(2);
    expect(order).toEqual([2, 1]);
  });

  it('reads replies cut into pieces across reads', async () => {
    const t = await target(['--split', '--reverse']);
    const c = t.client('n1');
    const [a, b] = await Promise.all([c.invoke(op('write', 'é∂', 'a')), c.invoke(op('write', 2, 'b'))]);
    expect([a.value, b.value]).toEqual(['é∂', 2]);
    const [ra, rb] = await Promise.all([c.invoke(op('read', null, 'a')), c.invoke(op('read', null, 'b'))]);
    expect([ra.value, rb.value]).toEqual(['é∂', 2]);
  });

  it('an aborted wait is info and its late reply is dropped; aborted before sending is fail', async () => {
    const t = await target(['--delay-ms', '300']);
    const c = t.client('n1');
    const ac = new AbortController();
    const p = c.invoke(op('write', 1), { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    expect(await p).toMatchObject({ type: 'info', error: 'aborted while the adapter had it' });
    // The late reply to request 1 arrives before this one's: dropped, not a contract breach.
    expect(await c.invoke(op('write', 2))).toMatchObject({ type: 'ok', value: 2 });
    const gone = new AbortController();
    gone.abort();
    expect(await c.invoke(op('write', 3), { signal: gone.signal })).toMatchObject({ type: 'fail', error: 'aborted before it was sent to the adapter' });
  });
});

describe('stdio client: the contract broken', () => {
  async function broken(line: string): Promise<{ e: Error; c: Client; t: StdioTarget }> {
    const t = await target(['--emit-after', '3', line]);
    const c = t.client('n1');
    await c.invoke(op('write', 1));
    await c.invoke(op('write', 2));
    return { e: await rejection(c.invoke(op('write', 3))), c, t };
  }

  it('output that is not JSON fails the run: one line naming the adapter, the stdout line and the text', async () => {
    const { e, c, t } = await broken('hello');
    expect(e).toBeInstanceOf(TargetFailed);
    expect(e.message).toBe(`stdio adapter n1#1 (${PY} ${FIXTURE} --emit-after 3 hello): stdout line 3: not JSON: "hello"`);
    // The adapter is gone and the client stays failed.
    await until('the broken adapter to be killed', () => running(t.stats('n1').pids[0]) === false);
    expect((await rejection(c.invoke(op('read')))).message).toBe(e.message);
    expect(readFileSync(t.logs('n1')[0], 'utf8')).toContain(e.message);
  });

  it('a reply to an id never sent, a bad type, an unknown field: each named', async () => {
    expect((await broken('{"id":99,"type":"ok"}')).e.message).toMatch(/: stdout line 3: a reply to id 99, which was never sent$/);
    expect((await broken('{"id":1,"type":"ok"}')).e.message).toMatch(/: stdout line 3: a reply to id 1, which was already answered$/);
    expect((await broken('{"id":3,"type":"done"}')).e.message).toMatch(/: stdout line 3: "type" must be "ok", "fail" or "info", got "\\"done\\""$/);
    expect((await broken('{"id":3,"type":"ok","val":1}')).e.message).toMatch(/: stdout line 3: reply has an unknown field "val"/);
  });

  it('a reply that is not UTF-8 breaks the contract like the others (it was decoded to U+FFFD and taken)', async () => {
    // {"id":3,"type":"ok","value":"\xff\xfe"}: valid JSON once decoded, so only the bytes tell
    const bytes = Buffer.concat([Buffer.from('{"id":3,"type":"ok","value":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const t = await target(['--emit-hex-after', '3', bytes.toString('hex')]);
    const c = t.client('n1');
    await c.invoke(op('write', 1));
    await c.invoke(op('write', 2));
    const e = await rejection(c.invoke(op('write', 3)));
    expect(e).toBeInstanceOf(TargetFailed);
    expect(e.message).toMatch(/^stdio adapter n1#1 \(.*\): stdout line 3: not valid UTF-8: "\{\\"id\\":3,\\"type\\":\\"ok\\",\\"value\\":\\"\uFFFD\uFFFD\\"\}"$/);
  });

  it('LineSplitter tells each line\'s bytes UTF-8 or not, across chunks', async () => {
    const { LineSplitter } = await import('../targets/stdio/protocol.js');
    const s = new LineSplitter();
    const euro = Buffer.from('€'); // three bytes, cut across two chunks
    expect(s.pushLines(Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]))).toEqual([]);
    expect(s.pushLines(Buffer.concat([euro.subarray(2), Buffer.from('\n'), Buffer.from([0xc3, 0x28, 0x0a])]))).toEqual([
      { text: 'a€', utf8: true },
      { text: '\uFFFD(', utf8: false },
    ]);
  });
});

describe('stdio client: adapters that exit', () => {
  it('an exit turns the op in flight into info; the next invoke restarts the adapter', async () => {
    const t = await target(['--exit-after', '3']);
    const c = t.client('n1');
    expect((await c.invoke(op('write', 1))).type).toBe('ok');
    expect((await c.invoke(op('write', 2))).type).toBe('ok');
    expect(await c.invoke(op('write', 3))).toMatchObject({ type: 'info', error: 'adapter exited with code 3 (n1#1)' });
    expect((await c.invoke(op('write', 4))).type).toBe('ok');
    expect(t.stats('n1')).toMatchObject({ starts: 2, restarts: 1, exits: 1 });
    const log = readFileSync(t.logs('n1')[0], 'utf8');
    expect(log).toMatch(/exiting on request 3 \(on purpose\)/);
    expect(log).toMatch(/adapter ended \(code 3\)/);
    expect(log).toMatch(/restart \(exits in a row on n1: 1\)/);
  });

  it('exits in a row past the restart limit fail the run, quoting the adapter\'s last words', async () => {
    const t = await target(['--exit-at-start'], { restartLimit: 2 });
    const c = t.client('n1');
    for (let i = 0; i < 2; i++) expect(await c.invoke(op('write', i))).toMatchObject({ type: 'info', error: 'adapter exited with code 1 (n1#1)' });
    const e = await rejection(c.invoke(op('write', 2)));
    expect(e).toBeInstanceOf(TargetFailed);
    const log = join(root, `run-${runs}`, 'logs', 'n1', 'adapter-1.log');
    expect(e.message).toBe(
      `stdio adapter n1#1 (${PY} ${FIXTURE} --exit-at-start): n1's adapters exited 3 times in a row without a reply (restart limit 2); the last exited with code 1, its stderr is in ${log} and ends "fixture_adapter: cannot reach the store (on purpose)"`,
    );
    // No fourth start: the next invoke fails the same way before starting anything.
    expect(await rejection(c.invoke(op('write', 3)))).toBeInstanceOf(TargetFailed);
    expect(t.stats('n1').starts).toBe(3);
  });

  it('a reply between exits resets the count', async () => {
    const t = await target(['--exit-after', '2'], { restartLimit: 1 });
    const c = t.client('n1');
    for (let i = 0; i < 4; i++) {
      expect((await c.invoke(op('write', i))).type).toBe('ok');
      expect((await c.invoke(op('write', i))).type).toBe('info');
    }
    expect(t.stats('n1').exits).toBe(4);
  });
});

describe('stdio target: lifecycle', () => {
  it('setup refuses an adapter program that cannot run, in one line', async () => {
    const t = createStdioTarget({ dir: join(root, 'nope'), adapter: ['python3-nope', 'x.py'] });
    const e = await rejection(t.setup());
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe('stdio target: cannot run the adapter "python3-nope x.py": python3-nope is not on PATH');
    await t.teardown();
    expect(() => createStdioTarget({ dir: root, adapter: [] })).toThrow(/adapter must be the argv/);
  });

  it('with an inner cluster, lifecycle calls and capabilities go to it, and its address is what adapters are told', async () => {
    const calls: string[] = [];
    const inner = {
      nodes: ['a', 'b'],
      setup: async () => void calls.push('setup'),
      teardown: async () => void calls.push('teardown'),
      start: async (n: string) => void calls.push(`start ${n}`),
      kill: async (n: string) => void calls.push(`kill ${n}`),
      pause: async (n: string) => void calls.push(`pause ${n}`),
      resume: async (n: string) => void calls.push(`resume ${n}`),
      primaries: async () => ['a'],
      setClockOffset: async (n: string, ms: number) => void calls.push(`clock ${n} ${ms}`),
      logs: (n: string) => [`/inner/${n}.log`],
      address: (n: string) => `/sockets/${n}.sock`,
      client: () => {
        throw new Error('not used');
      },
    };
    const t = await target([], { inner, nodes: ['ignored'] });
    expect(t.nodes).toEqual(['a', 'b']);
    await t.kill('a');
    await t.start('a');
    await t.pause('b');
    await t.resume('b');
    await t.setClockOffset!('b', 250);
    expect(await t.primaries!()).toEqual(['a']);
    expect(t.dataDir).toBeUndefined();
    const c = t.client('b');
    expect((await c.invoke(op('env'))).value).toMatchObject({ FAULTLINE_NODE: 'b', FAULTLINE_ADDRESS: '/sockets/b.sock', FAULTLINE_WORKLOAD: '' });
    expect(t.logs('b')).toEqual(['/inner/b.log', join(root, `run-${runs}`, 'logs', 'b', 'adapter-1.log')]);
    await t.teardown();
    expect(calls).toEqual(['setup', 'kill a', 'start a', 'pause b', 'resume b', 'clock b 250', 'teardown']);
  });

  it('without an inner cluster, node faults say why they cannot run', async () => {
    const t = await target([]);
    await expect(t.kill('n1')).rejects.toThrow('stdio target: cannot kill n1: faultline does not run the system behind the adapters (no inner cluster)');
    expect(t.primaries).toBeUndefined();
    expect(() => t.client('n9')).toThrow(/no node "n9"/);
  });

  it('each client has its own adapter and instance number, reused once closed; teardown ends them all', async () => {
    const t = await target([], { nodes: ['n1', 'n2'] });
    const [a, b, c] = [t.client('n1'), t.client('n1'), t.client('n2')];
    await Promise.all([a.open(), b.open(), c.open()]);
    expect(t.stats('n1').pids).toHaveLength(2);
    await a.close();
    expect(running(t.stats('n1').pids[0])).toBe(false);
    const d = t.client('n1');
    await d.open();
    expect(existsSync(join(root, `run-${runs}`, 'logs', 'n1', 'adapter-3.log'))).toBe(false);
    expect(t.logs('n1').map((p) => p.split('/').at(-1))).toEqual(['adapter-1.log', 'adapter-2.log']);
    expect(t.logs('n2').map((p) => p.split('/').at(-1))).toEqual(['adapter-1.log']);
    await t.teardown();
    for (const n of ['n1', 'n2']) for (const pid of t.stats(n).pids) expect(running(pid)).toBe(false);
    await expect(d.invoke(op('read'))).rejects.toThrow();
  });

  it('an adapter that ignores stdin EOF is SIGKILLed after the grace period', async () => {
    const t = await target(['--ignore-eof']);
    const c = t.client('n1');
    await c.invoke(op('write', 1));
    const pid = t.stats('n1').pids[0];
    await c.close();
    expect(running(pid)).toBe(false);
    expect(readFileSync(t.logs('n1')[0], 'utf8')).toMatch(/adapter ended \(signal SIGKILL\)/);
  });

  it('an adapter that ignores stdin EOF still dies with the process that started it (parent-death signal)', async () => {
    // A stand-in for faultline: starts the adapter as the target does, prints its pid, then is SIGKILLed.
    const argv = guardedArgv([PY, FIXTURE, '--ignore-eof']);
    const script = `const { spawn } = require('node:child_process'); const argv = JSON.parse(process.argv[1]);
      const p = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
      console.log(p.pid); setInterval(() => {}, 1000);`;
    const parent = execa(process.execPath, ['-e', script, JSON.stringify(argv)], { reject: false, buffer: false });
    const pid = await new Promise<number>((res) => parent.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
    // The stand-in keeps the adapter's stdin open, so only the parent-death signal can end it.
    await new Promise((r) => setTimeout(r, 200));
    expect(running(pid)).toBe(true);
    parent.kill('SIGKILL');
    await parent;
    await until(`adapter ${pid} to die with its parent`, () => !running(pid));
  });
});

describe('the example adapter (no store behind it)', () => {
  it('reports a store it cannot reach honestly (fail: nothing was sent) and exits when stdin closes', async () => {
    const p = execa(PY, [EXAMPLE], { env: { FAULTLINE_NODE: 'n1', FAULTLINE_ADDRESS: `unix:${join(root, 'missing.sock')}` }, reject: false, stdin: 'pipe', buffer: { stdout: false } });
    p.stdin!.write('{"id":1,"f":"write","value":3}\n{"id":2,"f":"read","value":null}\n');
    const replies: Record<string, unknown>[] = [];
    let text = '';
    await new Promise<void>((res) =>
      p.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const lines = text.split('\n');
        text = lines.pop()!;
        for (const l of lines) replies.push(JSON.parse(l) as Record<string, unknown>);
        if (replies.length === 2) res();
      }),
    );
    replies.sort((x, y) => (x.id as number) - (y.id as number));
    expect(replies.map((r) => [r.id, r.type])).toEqual([[1, 'fail'], [2, 'fail']]);
    for (const r of replies) expect(r.error).toMatch(/^not delivered: /);
    p.stdin!.end();
    const r = await p;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/serving n1 at unix:.*missing\.sock/);
    expect(r.stderr).toMatch(/stdin closed; exiting/);
  });

  it('reads every address form faultline may give', async () => {
    const code = `import sys, json; sys.path.insert(0, 'examples/stdio'); import builtin_adapter as b
print(json.dumps([b.parse_address(a) for a in ['/s/n1.sock', 'unix:/s/n1.sock', '127.0.0.1:7001', 'tcp:localhost:80', '[::1]:9', 'tcp:[::1]:9']]))`;
    const r = await execa(PY, ['-c', code]);
    expect(JSON.parse(r.stdout)).toEqual([['unix', '/s/n1.sock'], ['unix', '/s/n1.sock'], ['tcp', '127.0.0.1', 7001], ['tcp', 'localhost', 80], ['tcp', '::1', 9], ['tcp', '::1', 9]]);
  });

  it('refuses an address it cannot read, on stderr, with exit 2', async () => {
    const r = await execa(PY, [EXAMPLE], { env: { FAULTLINE_ADDRESS: '' }, reject: false, input: '' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/FAULTLINE_ADDRESS must be \/PATH, unix:\/PATH, HOST:PORT or tcp:HOST:PORT, got ''/);
  });
});
