// Link faults over ssh on a remote cluster's hosts (nemesis/link.ts remoteLinkHosts): three sshd
// hosts in node namespaces (test/helpers/sshd-hosts.ts). Netem is asked of the hosts' own kernel
// (here, this machine's: none), each host's interface is found by `ip route get`, and the faults
// really change the hosts' rules and qdiscs — seen on the hosts themselves, not from faultline's
// side. A lifeline cut (faultline gone) and the cluster's remnant removal leave nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from '../../control/local.js';
import { createNetwork, networkAvailable, runTag, type Network } from '../../control/network.js';
import { linkFaults, probeNetem, remoteLinkHosts } from '../../nemesis/link.js';
import { readClusterFile, sshHosts, lossCommand, type RemoteHost } from '../../targets/remote/index.js';
import { armLifeline } from '../../targets/remote/lifeline.js';
import { removeRemnantsArgv } from '../../targets/remote/remnants.js';
import { startSshdHosts, type SshdHosts } from '../helpers/sshd-hosts.js';

const runId = `rl${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
const root = mkdtempSync('/tmp/fl-rl-');
let network: Network | undefined;
let sshd: SshdHosts | undefined;
let hosts: RemoteHost[] = [];
let clusterFile = '';

/** What a host shows of the run: its iptables rules and eth0's qdiscs, read inside its namespace (not over ssh). */
async function onHost(node: string): Promise<{ rules: string; qdiscs: string }> {
  const ns = network!.host(node).ns;
  const rules = (await run(['ip', 'netns', 'exec', ns, 'iptables', '-w', '-S'])).stdout;
  const qdiscs = (await run(['ip', 'netns', 'exec', ns, 'tc', 'qdisc', 'show', 'dev', 'eth0'])).stdout;
  return { rules, qdiscs };
}

beforeAll(async () => {
  const why = await networkAvailable();
  if (why !== true) throw new Error(`this test needs network namespaces: ${why}`);
  network = await createNetwork(['n1', 'n2', 'n3'], { runId });
  mkdirSync(join(root, 'ssh'));
  sshd = await startSshdHosts(network, join(root, 'ssh'));
  const file = join(root, 'cluster.json');
  clusterFile = file;
  writeFileSync(
    file,
    JSON.stringify({
      system: 'etcd',
      nodes: network.hosts.map((h) => ({ name: h.node, host: h.ip, key: sshd!.key })),
      workDir: `${root}/work/{node}`,
      ssh: { via: sshd.via, knownHosts: sshd.knownHosts, strictHostKeyChecking: true, config: '/dev/null', connectTimeout: 5 },
    }),
  );
  mkdirSync(join(root, 'ctl'));
  hosts = sshHosts(readClusterFile(file), join(root, 'ctl'));
});

afterAll(async () => {
  await Promise.allSettled(hosts.map((h) => h.control.close()));
  await sshd?.stop();
  await network?.teardown();
  rmSync(root, { recursive: true, force: true });
});

describe('link faults on remote hosts over ssh', () => {
  it("find each host's interface, ask its kernel for netem, and say which mechanism carries each fault", async () => {
    const lh = remoteLinkHosts(runId, hosts);
    expect(await lh.device!('n1')).toBe('eth0');
    const netem = await lh.netem!();
    // The hosts are namespaces of this machine: their kernel is this one.
    expect(netem === true).toBe((await probeNetem(`${runId}x`)) === true);
    const [loss, bandwidth, delay] = linkFaults(lh, {}, ['loss', 'bandwidth', 'delay']);
    expect(await loss.available()).toBe(true);
    expect(await bandwidth.available()).toBe(true);
    if (netem === true) expect(await delay.available()).toBe(true);
    else expect(await delay.available()).toMatch(/kernel has no netem.*the target's peer links do not go through faultline's proxy/);

    const lost = (await loss.start({ nodes: ['n1'], lossProbability: 0.3 })) as { mechanism: string };
    const slow = (await bandwidth.start(['n2'])) as { mechanism: string };
    expect(lost.mechanism).toBe(netem === true ? 'netem' : 'iptables-statistic');
    expect(slow.mechanism).toBe(netem === true ? 'netem' : 'tbf');
    const n1 = await onHost('n1');
    const n2 = await onHost('n2');
    if (netem === true) {
      expect(n1.qdiscs).toMatch(/netem fa17: root.*loss 30%/);
    } else {
      expect(n1.rules).toMatch(new RegExp(`-A FAULTLINE-LOSS -m statistic --mode random --probability 0.(3|29\\d*) -m comment --comment "?${runTag(runId)}"? -j DROP`));
      expect(n1.rules).toMatch(/-A OUTPUT -o eth0 .* -j FAULTLINE-LOSS/);
      expect(n2.qdiscs).toMatch(/qdisc tbf fa17: root .*rate 1Mbit/);
    }
    // The third host is untouched.
    expect((await onHost('n3')).rules).not.toContain('FAULTLINE');

    await loss.stop();
    await bandwidth.stop();
    for (const n of ['n1', 'n2', 'n3']) {
      const h = await onHost(n);
      expect(h.rules).not.toContain('FAULTLINE-LOSS');
      expect(h.qdiscs).not.toContain('fa17:');
    }
  });

  it('a lifeline cut (faultline gone) heals what was in force: loss chain, its hook and the qdisc go', async () => {
    const [loss, bandwidth] = linkFaults(remoteLinkHosts(runId, hosts), {}, ['loss', 'bandwidth']);
    await loss.start(['n1']);
    await bandwidth.start(['n1']);
    const before = await onHost('n1');
    expect(before.qdiscs).toContain('fa17:');
    const h = hosts.find((x) => x.node === 'n1')!;
    const lifeline = await armLifeline(h.control, lossCommand(runId, `${root}/work/n1`, 1));
    await lifeline.cut();
    const after = await onHost('n1');
    expect(after.rules).not.toContain('FAULTLINE-LOSS');
    expect(after.rules).not.toContain(runTag(runId));
    expect(after.qdiscs).not.toContain('fa17:');
  });

  it("the cluster's remnant removal takes another run's leftovers only by its tag", async () => {
    const [loss] = linkFaults(remoteLinkHosts(runId, hosts), {}, ['loss']);
    await loss.start(['n3']);
    const h = hosts.find((x) => x.node === 'n3')!;
    await h.control.exec(removeRemnantsArgv(runTag('otherrun')));
    expect((await onHost('n3')).rules).toMatch(/-A OUTPUT -o eth0 .* -j FAULTLINE-LOSS/);
    await h.control.exec(removeRemnantsArgv(runTag(runId)));
    expect((await onHost('n3')).rules).not.toContain('FAULTLINE-LOSS');
  });

  it('the clock fault: refused unless the cluster file marks the hosts disposable, and refused for hosts on this kernel even then', async () => {
    const bin = resolve('bin/faultline.js');
    const args = (file: string) => [bin, 'test', '--cluster', file, '--nemesis', 'clock', '--time-limit', '2', '--store', join(root, 'clock-store'), '--no-progress'];
    const plain = await execa(process.execPath, args(clusterFile), { reject: false, all: true });
    expect(plain.exitCode).toBe(3);
    expect(plain.stderr.trim().split('\n').at(-1)).toBe('faultline: faults unavailable here: clock: the cluster file does not mark its hosts disposable ("disposable": true), so faultline leaves their clocks alone');
    const disposable = join(root, 'disposable.json');
    writeFileSync(disposable, JSON.stringify({ ...JSON.parse(readFileSync(clusterFile, 'utf8')), disposable: true }));
    const same = await execa(process.execPath, args(disposable), { reject: false, all: true });
    expect(same.exitCode).toBe(3);
    expect(same.stderr.trim().split('\n').at(-1)).toMatch(/^faultline: faults unavailable here: clock: n1: ssh root@198\.\d+\.\d+\.1:22 is this machine \(same kernel boot id\), whose clock faultline never changes; n2: /);
  });
});
