// The etcd target's pure parts: member flags, key and value encoding, the workload dialects, which
// errors prove an op did not happen, and reading etcd's version.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseEtcdVersion } from '../targets/etcd/available.js';
import { certainlyNotApplied } from '../targets/etcd/client.js';
import { b64, decodeKv, encodeValue, prefixRangeEnd, setElementKey, setPrefix, storeKey, unb64, userKey } from '../targets/etcd/codec.js';
import { checkTimings, clientSocketName, etcdArgs, type MemberUrls } from '../targets/etcd/flags.js';
import { GatewayError } from '../targets/etcd/gateway.js';
import { dialectFor, isReadOnly, NotApplied } from '../targets/etcd/ops.js';

const member = (n: number): MemberUrls => ({ name: `n${n}`, peerUrl: `http://198.18.7.${n}:2380`, clientUrls: [`http://198.18.7.${n}:2379`] });

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

describe('etcd member flags', () => {
  const members = [member(1), member(2), member(3)];
  const args = etcdArgs({ self: members[1], members, dataDir: '/run/data/n2', state: 'new', token: 'faultline-ab12', heartbeatMs: 50, electionTimeoutMs: 500 });

  it('listen on the node address and on a unix socket relative to the working directory', () => {
    expect(flag(args, '--listen-client-urls')).toBe('http://198.18.7.2:2379,unix://n2.sock:2379');
    expect(flag(args, '--advertise-client-urls')).toBe('http://198.18.7.2:2379');
    expect(flag(args, '--listen-peer-urls')).toBe('http://198.18.7.2:2380');
    expect(flag(args, '--initial-advertise-peer-urls')).toBe('http://198.18.7.2:2380');
    expect(clientSocketName('n2')).toBe('n2.sock:2379');
  });

  it('name every member, the state, token and timings, with pre-vote', () => {
    expect(flag(args, '--name')).toBe('n2');
    expect(flag(args, '--data-dir')).toBe('/run/data/n2');
    expect(flag(args, '--initial-cluster')).toBe('n1=http://198.18.7.1:2380,n2=http://198.18.7.2:2380,n3=http://198.18.7.3:2380');
    expect(flag(args, '--initial-cluster-state')).toBe('new');
    expect(flag(args, '--initial-cluster-token')).toBe('faultline-ab12');
    expect(flag(args, '--heartbeat-interval')).toBe('50');
    expect(flag(args, '--election-timeout')).toBe('500');
    expect(args).toContain('--pre-vote');
  });

  it('advertise the unix socket when there is no network address', () => {
    const solo: MemberUrls = { name: 'a', peerUrl: 'unix://a.peer:2380', clientUrls: [] };
    const a = etcdArgs({ self: solo, members: [solo], dataDir: '/d', state: 'existing', token: 't', heartbeatMs: 10, electionTimeoutMs: 100 });
    expect(flag(a, '--listen-client-urls')).toBe('unix://a.sock:2379');
    expect(flag(a, '--advertise-client-urls')).toBe('unix://a.sock:2379');
    expect(flag(a, '--initial-cluster-state')).toBe('existing');
  });

  it('refuse an election timeout under five heartbeats, as etcd would', () => {
    expect(() => checkTimings(50, 249)).toThrow(/at least 5 × heartbeatMs \(250\)/);
    expect(() => checkTimings(0, 500)).toThrow(/positive integer/);
    expect(() => checkTimings(50, 250)).not.toThrow();
  });
});

describe('etcd keys and values', () => {
  it('store keys are KIND: and the canonical JSON of the key', () => {
    expect(storeKey('register', undefined)).toBe('register:null');
    expect(storeKey('list', { b: 1, a: [2] })).toBe('list:{"a":[2],"b":1}');
    expect(userKey(storeKey('account', 7))).toBe(7);
    expect(setElementKey('s', 3)).toBe('set:"s"/3');
    expect(setPrefix(undefined)).toBe('set:null/');
  });

  it('a prefix range ends at the first key past every key with that prefix', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (prefix, rest) => {
        const end = Buffer.from(prefixRangeEnd(prefix), 'base64');
        const inside = Buffer.from(prefix + rest, 'utf8');
        const start = Buffer.from(prefix, 'utf8');
        expect(Buffer.compare(start, end)).toBeLessThan(0);
        expect(Buffer.compare(inside, end)).toBeLessThan(0);
      }),
    );
    expect(unb64(prefixRangeEnd('register:'))).toBe('register;');
  });

  it('values round-trip through base64 canonical JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const back = decodeKv({ key: b64('k'), value: encodeValue(v), mod_revision: '9' });
        expect(back.value).toEqual(JSON.parse(JSON.stringify(v)));
        expect(back.modRevision).toBe('9');
      }),
    );
    expect(unb64(encodeValue({ b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
    expect(decodeKv({ key: b64('k') })).toEqual({ value: undefined, modRevision: '0' });
  });
});

describe('etcd client semantics', () => {
  it('dialects follow the workload', () => {
    expect(dialectFor('counter')).toMatchObject({ read: 'counter', add: 'counter' });
    expect(dialectFor('list-append').txnRead).toBe('list');
    expect(dialectFor('rw-register').txnRead).toBe('register');
    expect(dialectFor('bank').read).toBe('bank');
    expect(dialectFor(undefined)).toEqual({ read: 'register', add: 'set', txnRead: 'by-txn' });
    expect(dialectFor('queue')).toEqual(dialectFor(undefined));
  });

  it('read-only ops are reads, scans and txns of reads only', () => {
    const op = (f: string, value: unknown) => ({ index: 0, type: 'invoke' as const, process: 0, f, value });
    expect(isReadOnly(op('read', null))).toBe(true);
    expect(isReadOnly(op('scan', null))).toBe(true);
    expect(isReadOnly(op('txn', [['r', 1, null], ['r', 2, null]]))).toBe(true);
    expect(isReadOnly(op('txn', [['r', 1, null], ['append', 2, 3]]))).toBe(false);
    expect(isReadOnly(op('write', 1))).toBe(false);
  });

  it('only errors that prove nothing was applied count as certain', () => {
    expect(certainlyNotApplied(new GatewayError('connect ECONNREFUSED', true, 'ECONNREFUSED'))).toBe(true);
    expect(certainlyNotApplied(new NotApplied('reading before writing: timeout'))).toBe(true);
    expect(certainlyNotApplied(new GatewayError('etcdserver: too many requests', false, 'ETCD', 8))).toBe(true);
    expect(certainlyNotApplied(new GatewayError('etcdserver: duplicate key given in txn request', false, 'ETCD', 3))).toBe(true);
    expect(certainlyNotApplied(new GatewayError('etcdserver: request timed out', false, 'ETCD', 14))).toBe(false);
    expect(certainlyNotApplied(new GatewayError('no reply within 100 ms', false, 'ETIMEDOUT'))).toBe(false);
    expect(certainlyNotApplied(new GatewayError('socket hang up', false, 'ECONNRESET'))).toBe(false);
    expect(certainlyNotApplied(new Error('anything else'))).toBe(false);
  });

  it('etcd --version is read', () => {
    expect(parseEtcdVersion('etcd Version: 3.4.23\nGit SHA: Not provided\n')).toEqual([3, 4, 23]);
    expect(parseEtcdVersion('nonsense')).toBeUndefined();
  });
});
