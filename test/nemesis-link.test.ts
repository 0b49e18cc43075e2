// Link faults without a kernel: the argv each mechanism builds, how netem parameters of several
// faults combine on one node, what start/stop run on which node, and what available() says.
import { describe, expect, it } from 'vitest';
import type { Network, NodeHost } from '../control/network.js';
import type { Control, ExecOptions, ExecResult } from '../control/types.js';
import { checkParams, DEFAULT_LINK_PARAMS, LINK_FAULT_NAMES, linkFaults, lossRules, netemArgs, netemArgv, parseLinkValue, qdiscDeleteArgv, tbfArgv, type LinkFaultName, type LinkParams } from '../nemesis/link.js';
import type { PeerDelay } from '../nemesis/proxied-peers.js';
import type { Fault } from '../nemesis/types.js';

const P = DEFAULT_LINK_PARAMS as LinkParams;

/** A fake namespace: iptables and tc state as strings, every argv recorded. */
class FakeHost implements Control {
  readonly calls: string[][] = [];
  chain = false;
  rules: string[] = [];
  jump = false;
  qdisc: string | undefined;
  constructor(readonly where: string) {}

  wrap(argv: readonly string[]): string[] {
    return [...argv];
  }

  /** iptables-restore --noflush: all lines or none. */
  private restore(text: string): number {
    const before = { chain: this.chain, rules: [...this.rules], jump: this.jump };
    for (const line of text.split('\n')) {
      if (line === ':FAULTLINE-LOSS - [0:0]') this.chain = true;
      else if (line === '-F FAULTLINE-LOSS') this.rules = [];
      else if (line.startsWith('-A FAULTLINE-LOSS')) this.rules.push(line);
      else if (line.startsWith('-I OUTPUT')) this.jump = true;
      else if (line.startsWith('-D OUTPUT')) {
        if (!this.jump) return Object.assign(this, before), 1;
        this.jump = false;
      } else if (line === '-X FAULTLINE-LOSS') this.chain = false;
    }
    return 0;
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push([...argv]);
    const a = argv.join(' ');
    let code = 0;
    let stdout = '';
    if (a.startsWith('iptables-restore -w --noflush')) code = this.restore(options.input ?? '');
    else if (a.startsWith('iptables -w -F')) this.rules = [];
    else if (a.startsWith('iptables -w -A FAULTLINE-LOSS')) this.rules.push(a);
    else if (a.startsWith('iptables -w -C')) code = this.jump ? 0 : 1;
    else if (a.startsWith('iptables -w -I')) this.jump = true;
    else if (a.startsWith('iptables -w -D')) code = this.jump ? ((this.jump = false), 0) : 1;
    else if (a.startsWith('iptables -w -X')) code = this.chain && this.rules.length === 0 && !this.jump ? ((this.chain = false), 0) : 1;
    else if (a.startsWith('iptables -w -S')) stdout = [...(this.chain ? ['-N FAULTLINE-LOSS'] : []), ...this.rules].join('\n');
    else if (a.startsWith('iptables-restore --version')) stdout = 'iptables-restore v1.8.9 (nf_tables)';
    else if (a.startsWith('tc qdisc replace')) this.qdisc = argv.slice(8).join(' ');
    else if (a.startsWith('tc qdisc del')) code = this.qdisc ? ((this.qdisc = undefined), 0) : 2;
    else if (a.startsWith('tc qdisc show')) stdout = this.qdisc ? `qdisc ${this.qdisc.split(' ')[0]} fa17: root refcnt 2` : 'qdisc noqueue 0: root refcnt 2';
    if (code !== 0 && !options.allowFailure) throw new Error(`${a}: exit ${code}`);
    return { stdout, stderr: '', exitCode: code };
  }
}

function fakeNetwork(nodes: string[]): { network: Network; hosts: Map<string, FakeHost> } {
  const hosts = new Map(nodes.map((n) => [n, new FakeHost(`netns fl-t1-${n}`)]));
  const list: NodeHost[] = nodes.map((n, i) => ({ node: n, ns: `fl-t1-${n}`, ip: `198.18.0.${i + 1}`, control: hosts.get(n)! }));
  const network: Network = {
    runId: 't1',
    hosts: list,
    client: { node: 'client', ns: 'fl-t1-c', ip: '198.18.0.100', control: new FakeHost('netns fl-t1-c') },
    host: (n) => list.find((h) => h.node === n)!,
    teardown: async () => {},
  };
  return { network, hosts };
}

function byName(faults: Fault[], name: LinkFaultName): Fault {
  return faults.find((f) => f.name === name)!;
}

describe('argv', () => {
  it('combines the netem parameters of every fault active on a node', () => {
    expect(netemArgs(new Map())).toEqual([]);
    expect(netemArgs(new Map([['delay', { ...P, delayMs: 100, jitterMs: 20 }]]))).toEqual(['delay', '100ms', '20ms']);
    expect(netemArgs(new Map([['delay', { ...P, delayMs: 50, jitterMs: 0 }]]))).toEqual(['delay', '50ms']);
    const all = new Map<LinkFaultName, LinkParams>(LINK_FAULT_NAMES.map((n) => [n, P]));
    expect(netemArgs(all)).toEqual(['delay', '100ms', '20ms', 'loss', '20%', 'duplicate', '5%', 'reorder', '25%', 'corrupt', '5%', 'rate', '1mbit']);
    // reorder without a delay fault brings its own delay: netem reorders against delayed packets.
    expect(netemArgs(new Map([['reorder', { ...P, reorderProbability: 0.5, reorderDelayMs: 10 }]]))).toEqual(['delay', '10ms', 'reorder', '50%']);
    expect(netemArgs(new Map([['loss', { ...P, lossProbability: 0.1 + 0.2 }]]))).toEqual(['loss', '30%']);
  });

  it('builds tc and iptables commands with faultline\'s handle and tag', () => {
    expect(netemArgv('eth0', ['loss', '20%'])).toEqual(['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', 'fa17:', 'netem', 'loss', '20%']);
    expect(tbfArgv('eth0', { rate: '1mbit', burst: '64kb', latencyMs: 400 })).toEqual(['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', 'fa17:', 'tbf', 'rate', '1mbit', 'burst', '64kb', 'latency', '400ms']);
    expect(qdiscDeleteArgv('eth0')).toEqual(['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', 'fa17:']);
    const r = lossRules('ab12', 'eth0', 0.2);
    expect(r.apply(true).split('\n')).toEqual([
      '*filter',
      ':FAULTLINE-LOSS - [0:0]',
      '-F FAULTLINE-LOSS',
      '-A FAULTLINE-LOSS -m statistic --mode random --probability 0.2 -m comment --comment faultline:ab12 -j DROP',
      '-I OUTPUT -o eth0 -m comment --comment faultline:ab12 -j FAULTLINE-LOSS',
      'COMMIT',
      '',
    ]);
    expect(r.apply(false)).not.toContain('-I OUTPUT');
    expect(r.unhook.split('\n').slice(1, 4)).toEqual(['-D OUTPUT -o eth0 -m comment --comment faultline:ab12 -j FAULTLINE-LOSS', '-F FAULTLINE-LOSS', '-X FAULTLINE-LOSS']);
    expect(r.restoreArgv).toEqual(['iptables-restore', '-w', '--noflush']);
    expect(() => lossRules('AB 12', 'eth0', 0.2)).toThrow(/run id/);
    expect(() => lossRules('ab12', 'eth0', 0)).toThrow(/probability/);
  });

  it('checks parameters and start values', () => {
    expect(() => checkParams({ ...P, lossProbability: 0 })).toThrow(/lossProbability/);
    expect(() => checkParams({ ...P, lossProbability: 1.5 })).toThrow(/lossProbability/);
    expect(() => checkParams({ ...P, delayMs: -1 })).toThrow(/delayMs/);
    expect(() => checkParams({ ...P, rate: '1 mbit; rm' })).toThrow(/rate/);
    expect(() => checkParams({ ...P, burst: 'lots' })).toThrow(/burst/);
    const all = ['n1', 'n2', 'n3'];
    expect(parseLinkValue(null, all, P)).toEqual({ nodes: all, params: P });
    expect(parseLinkValue(['n2', 'n2'], all, P).nodes).toEqual(['n2']);
    expect(parseLinkValue('n3', all, P).nodes).toEqual(['n3']);
    expect(parseLinkValue({ nodes: ['n1'], delayMs: 7 }, all, P)).toEqual({ nodes: ['n1'], params: { ...P, delayMs: 7 } });
    expect(() => parseLinkValue(['n9'], all, P)).toThrow(/n9/);
    expect(() => parseLinkValue({ nodes: ['n1'], delay: 7 }, all, P)).toThrow(/delay is not/);
  });
});

describe('with netem', () => {
  it('keeps one qdisc per node with every active fault, and removes it with the last', async () => {
    const { network, hosts } = fakeNetwork(['n1', 'n2', 'n3']);
    const faults = linkFaults(network, { netem: true });
    const delay = byName(faults, 'delay');
    const loss = byName(faults, 'loss');
    expect(await delay.start({ nodes: ['n1', 'n2'], delayMs: 50, jitterMs: 5 })).toEqual({ mechanism: 'netem', delayMs: 50, jitterMs: 5, nodes: ['n1', 'n2'] });
    expect(await loss.start(['n2'])).toEqual({ mechanism: 'netem', probability: 0.2, nodes: ['n2'] });
    expect(hosts.get('n1')!.qdisc).toBe('netem delay 50ms 5ms');
    expect(hosts.get('n2')!.qdisc).toBe('netem delay 50ms 5ms loss 20%');
    expect(hosts.get('n3')!.calls).toEqual([]);
    expect(await delay.stop()).toEqual({ mechanism: 'netem', nodes: ['n1', 'n2'] });
    expect(hosts.get('n1')!.qdisc).toBeUndefined();
    expect(hosts.get('n2')!.qdisc).toBe('netem loss 20%');
    expect(delay.active()).toBe(false);
    expect(loss.active()).toBe(true);
    await loss.stop();
    expect(hosts.get('n2')!.qdisc).toBeUndefined();
    expect(await loss.stop()).toEqual({ nodes: [] });
  });

  it('carries duplicate, reorder, corrupt and bandwidth too', async () => {
    const { network, hosts } = fakeNetwork(['n1']);
    const faults = linkFaults(network, { netem: true, rate: '500kbit' });
    for (const f of faults) expect(await f.available()).toBe(true);
    expect(await byName(faults, 'bandwidth').start(null)).toEqual({ mechanism: 'netem', rate: '500kbit', nodes: ['n1'] });
    expect(await byName(faults, 'corrupt').start(null)).toMatchObject({ mechanism: 'netem', probability: 0.05 });
    expect(hosts.get('n1')!.qdisc).toBe('netem corrupt 5% rate 500kbit');
    for (const f of faults) await f.stop();
    expect(hosts.get('n1')!.qdisc).toBeUndefined();
  });
});

describe('without netem', () => {
  it('drops a random share through a tagged rule in its own chain, and removes exactly that', async () => {
    const { network, hosts } = fakeNetwork(['n1', 'n2']);
    const loss = byName(linkFaults(network, { netem: false }), 'loss');
    expect(await loss.available()).toBe(true);
    expect(await loss.start({ nodes: ['n1'], lossProbability: 0.3 })).toEqual({ mechanism: 'iptables-statistic', probability: 0.3, nodes: ['n1'] });
    const h = hosts.get('n1')!;
    expect(h.chain && h.jump).toBe(true);
    expect(h.rules).toEqual(['-A FAULTLINE-LOSS -m statistic --mode random --probability 0.3 -m comment --comment faultline:t1 -j DROP']);
    // A second start on the node refills the chain rather than stacking rules.
    await loss.start({ nodes: ['n1'], lossProbability: 0.5 });
    expect(h.rules).toEqual(['-A FAULTLINE-LOSS -m statistic --mode random --probability 0.5 -m comment --comment faultline:t1 -j DROP']);
    expect(h.calls.filter((c) => c[0] === 'iptables-restore' && c[1] === '-w')).toHaveLength(2);
    await loss.stop();
    expect([h.chain, h.jump, h.rules]).toEqual([false, false, []]);
    expect(hosts.get('n2')!.calls.filter((c) => c[1] !== '--version')).toEqual([]);
  });

  it('removes what a start whose answer was lost left', async () => {
    const { network, hosts } = fakeNetwork(['n1']);
    const h = hosts.get('n1')!;
    const exec = h.exec.bind(h);
    // The transaction goes through but its answer is lost (a timeout): the fault does not know the hook is there.
    h.exec = async (argv, o) => {
      if (argv[0] === 'iptables-restore' && o?.input?.includes('-I OUTPUT')) {
        await exec(argv, o);
        throw new Error('no answer within 10000 ms');
      }
      return exec(argv, o);
    };
    const loss = byName(linkFaults(network, { netem: false }), 'loss');
    await expect(loss.start(['n1'])).rejects.toThrow(/no answer/);
    expect(loss.active()).toBe(true);
    h.exec = exec;
    await loss.stop();
    expect([h.chain, h.jump, h.rules, loss.active()]).toEqual([false, false, [], false]);
  });

  it('limits bandwidth with tbf', async () => {
    const { network, hosts } = fakeNetwork(['n1']);
    const bw = byName(linkFaults(network, { netem: false }), 'bandwidth');
    expect(await bw.start(null)).toEqual({ mechanism: 'tbf', rate: '1mbit', burst: '64kb', latencyMs: 400, nodes: ['n1'] });
    expect(hosts.get('n1')!.qdisc).toBe('tbf rate 1mbit burst 64kb latency 400ms');
    await bw.stop();
    expect(hosts.get('n1')!.qdisc).toBeUndefined();
  });

  it('delays through the peer proxies when there are any, and says why not otherwise', async () => {
    const { network } = fakeNetwork(['n1', 'n2']);
    const noProxy = byName(linkFaults(network, { netem: false }), 'delay');
    expect(await noProxy.available()).toMatch(/no netem.*proxy/);
    await expect(noProxy.start(['n1'])).rejects.toThrow(/delay is unavailable/);
    expect(noProxy.active()).toBe(false);

    const log: string[] = [];
    const peerDelay: PeerDelay = {
      nodes: ['n1', 'n2'],
      setDelay: async (nodes, ms, jitter) => void log.push(`set ${nodes.join(',')} ${ms} ${jitter}`),
      clear: async (nodes) => void log.push(`clear ${nodes.join(',')}`),
    };
    const delay = byName(linkFaults(network, { netem: false, peerDelay, delayMs: 80, jitterMs: 0 }), 'delay');
    expect(await delay.available()).toBe(true);
    expect(await delay.start(['n2'])).toEqual({ mechanism: 'proxy', delayMs: 80, jitterMs: 0, nodes: ['n2'] });
    expect(await delay.stop()).toEqual({ mechanism: 'proxy', nodes: ['n2'] });
    expect(log).toEqual(['set n2 80 0', 'clear n2']);
  });

  it('reports duplicate, reorder and corrupt unavailable', async () => {
    const { network, hosts } = fakeNetwork(['n1']);
    const faults = linkFaults(network, { netem: false });
    for (const name of ['duplicate', 'reorder', 'corrupt'] as const) {
      const f = byName(faults, name);
      expect(await f.available()).toMatch(new RegExp(`no netem.*${name} has no replacement`));
      await expect(f.start(null)).rejects.toThrow(/unavailable/);
    }
    expect(hosts.get('n1')!.calls).toEqual([]);
  });

  it('says so when iptables is missing', async () => {
    const { network, hosts } = fakeNetwork(['n1']);
    const h = hosts.get('n1')!;
    const exec = h.exec.bind(h);
    h.exec = async (argv, o) => (argv[0] === 'iptables-restore' ? { stdout: '', stderr: 'exec of "iptables-restore" failed: No such file or directory', exitCode: 255 } : exec(argv, o));
    expect(await byName(linkFaults(network, { netem: false }), 'loss').available()).toMatch(/iptables-restore does not run in netns fl-t1-n1/);
  });
});

describe('linkFaults', () => {
  it('refuses unknown names and bad defaults up front', () => {
    const { network } = fakeNetwork(['n1']);
    expect(() => linkFaults(network, {}, ['jam' as LinkFaultName])).toThrow(/unknown fault "jam"/);
    expect(() => linkFaults(network, { lossProbability: 2 })).toThrow(/lossProbability/);
    expect(() => linkFaults(network, { device: 'eth0; reboot' })).toThrow(/interface/);
  });
});
