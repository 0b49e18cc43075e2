// The delay proxy on loopback: it adds at least the delay it is set to, keeps each connection's
// bytes in order under jitter, passes FIN and resets on, and releases held chunks on clear.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Network, NodeHost } from '../control/network.js';
import { local } from '../control/local.js';
import { proxiedPeers } from '../nemesis/proxied-peers.js';
import { checkDelay, DelayProxy, releaseTime } from '../nemesis/proxy.js';

const servers: net.Server[] = [];
const serverSockets = new Set<net.Socket>();
const proxies: DelayProxy[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.close(() => r());
          for (const c of serverSockets) c.destroy();
        }),
    ),
  );
});

/** An echo server on a free loopback port. */
async function echoServer(onSocket?: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    serverSockets.add(s);
    s.on('close', () => serverSockets.delete(s));
    if (onSocket) return onSocket(s);
    s.pipe(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  return (server.address() as net.AddressInfo).port;
}

async function proxyTo(port: number, random?: () => number): Promise<{ proxy: DelayProxy; port: number }> {
  const proxy = await DelayProxy.start('tcp:127.0.0.1:0', `tcp:127.0.0.1:${port}`, { random });
  proxies.push(proxy);
  return { proxy, port: Number(proxy.listen.split(':').pop()) };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `data` and resolves with the first `bytes` echoed back. */
function roundTrip(s: net.Socket, data: Buffer, bytes = data.length): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    let n = 0;
    const on = (c: Buffer) => {
      got.push(c);
      n += c.length;
      if (n >= bytes) {
        s.off('data', on);
        resolve(Buffer.concat(got));
      }
    };
    s.on('data', on);
    s.write(data);
  });
}

describe('releaseTime', () => {
  it('never releases before the previous chunk nor before delay − jitter', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.nat(500), fc.nat(500), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (now, delay, jitter, prev, r) => {
        const t = releaseTime(now, { delayMs: delay, jitterMs: jitter }, prev, () => r);
        expect(t).toBeGreaterThanOrEqual(prev);
        expect(t).toBeGreaterThanOrEqual(now + Math.max(0, delay - jitter) - 1e-9);
        expect(t).toBeLessThanOrEqual(Math.max(prev, now + delay + jitter) + 1e-9);
      }),
    );
  });

  it('refuses negative or non-finite settings', () => {
    expect(() => checkDelay(-1)).toThrow(/delay/);
    expect(() => checkDelay(10, Number.NaN)).toThrow(/jitter/);
    expect(checkDelay(5, 2)).toEqual({ delayMs: 5, jitterMs: 2 });
  });
});

describe('DelayProxy', () => {
  it('passes bytes straight through with no delay set', async () => {
    const { port } = await proxyTo(await echoServer());
    const s = await connect(port);
    expect((await roundTrip(s, Buffer.from('hello'))).toString()).toBe('hello');
    s.destroy();
  });

  it('adds the delay in each direction, switchable at run time', async () => {
    const { proxy, port } = await proxyTo(await echoServer());
    const s = await connect(port);
    await roundTrip(s, Buffer.from('warm'));
    await proxy.setDelay(60);
    let t0 = performance.now();
    await roundTrip(s, Buffer.from('slow'));
    const slow = performance.now() - t0;
    // Held once on the way there and once on the way back.
    expect(slow).toBeGreaterThanOrEqual(2 * 60 - 2);
    await proxy.clear();
    t0 = performance.now();
    await roundTrip(s, Buffer.from('fast'));
    const stats = await proxy.stats();
    expect(stats.connections).toBe(1);
    expect(stats.delayedChunks).toBeGreaterThanOrEqual(2);
    s.destroy();
  });

  it('keeps every byte in order under jitter', async () => {
    let r = 0;
    const rand = () => (r = (r * 9301 + 49297) % 233280) / 233280;
    const { proxy, port } = await proxyTo(await echoServer(), rand);
    await proxy.setDelay(5, 5);
    const s = await connect(port);
    const want: Buffer[] = [];
    const got = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      let n = 0;
      s.on('data', (c: Buffer) => {
        parts.push(c);
        n += c.length;
        if (n >= 200 * 100) resolve(Buffer.concat(parts));
      });
    });
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.alloc(100, i % 256);
      chunk.writeUInt32BE(i, 0);
      want.push(chunk);
      s.write(chunk);
      if (i % 10 === 0) await new Promise((res) => setTimeout(res, 1));
    }
    expect((await got).equals(Buffer.concat(want))).toBe(true);
    s.destroy();
  });

  it('passes a FIN on after the held bytes, both ways', async () => {
    // The server answers with everything it got once the client has finished sending.
    const port = await echoServer((sock) => {
      const parts: Buffer[] = [];
      sock.on('data', (c: Buffer) => parts.push(c));
      sock.on('end', () => sock.end(Buffer.concat([Buffer.from('got:'), ...parts])));
    });
    const { proxy, port: p } = await proxyTo(port);
    await proxy.setDelay(20);
    const s = await connect(p);
    const reply = new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      s.on('data', (c: Buffer) => parts.push(c));
      s.on('end', () => resolve(Buffer.concat(parts).toString()));
    });
    s.end('abc');
    expect(await reply).toBe('got:abc');
  });

  it('turns a reset on one side into a closed connection on the other', async () => {
    const port = await echoServer((sock) => sock.on('data', () => sock.resetAndDestroy()));
    const { port: p } = await proxyTo(port);
    const s = await connect(p);
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.on('error', () => {});
    s.write('x');
    await closed;
    expect(s.destroyed).toBe(true);
  });

  it('releases held bytes at once on clear, in order', async () => {
    const { proxy, port } = await proxyTo(await echoServer());
    await proxy.setDelay(60_000);
    const s = await connect(port);
    const echoed = roundTrip(s, Buffer.from('held-'), 10);
    s.write('back');
    s.write('!');
    await new Promise((r) => setTimeout(r, 20));
    await proxy.clear();
    expect((await echoed).toString()).toBe('held-back!');
    s.destroy();
  });

  it('fails a connection whose target does not listen', async () => {
    const closedPort = await echoServer();
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const { port } = await proxyTo(closedPort);
    const s = await connect(port);
    s.on('error', () => {});
    await new Promise<void>((resolve) => s.on('close', () => resolve()));
    expect(s.destroyed).toBe(true);
  });

  it('listens on a unix socket and removes it on close', async () => {
    const { mkdtempSync, existsSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/fl-proxy-');
    const target = await echoServer();
    const proxy = await DelayProxy.start(`unix:${dir}/p.sock`, `tcp:127.0.0.1:${target}`);
    const s = await new Promise<net.Socket>((resolve) => {
      const c = net.connect({ path: `${dir}/p.sock` }, () => resolve(c));
    });
    expect((await roundTrip(s, Buffer.from('unix'))).toString()).toBe('unix');
    s.destroy();
    await proxy.close();
    expect(existsSync(`${dir}/p.sock`)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('proxiedPeers', () => {
  it('gives each node a peer address for the others and its own listener behind the proxy', () => {
    const hosts: NodeHost[] = ['n1', 'n2'].map((node, i) => ({ node, ns: `fl-x-${node}`, ip: `198.18.9.${i + 1}`, control: local }));
    const network = { runId: 'x', hosts, host: (n: string) => hosts.find((h) => h.node === n)! } as unknown as Network;
    expect(proxiedPeers(['n1', 'n2'], { network, socketDir: '/tmp/s' }).listen('n2', 1)).toEqual({
      client: 'unix:/tmp/s/n2.c.sock',
      peer: 'tcp:198.18.9.2:7000',
      peerListen: 'tcp:127.0.0.1:7001',
    });
    expect(proxiedPeers(['n1'], { dir: '/tmp/d' }).listen('n1', 0)).toEqual({ client: 'unix:/tmp/d/n1.c.sock', peer: 'unix:/tmp/d/n1.x.sock', peerListen: 'unix:/tmp/d/n1.p.sock' });
    expect(() => proxiedPeers(['n1'], { dir: '/tmp/d' }).listen('n5', 0)).toThrow(/no node "n5"/);
  });

  it('in this process: peers reach a node only through its proxy, which delays on demand', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/fl-pp-');
    const peers = proxiedPeers(['n1', 'n2'], { dir });
    const a = peers.listen('n2', 1);
    // The node's own peer listener: an echo server on peerListen.
    const node = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => node.listen(a.peerListen!.slice(5), () => r()));
    try {
      expect(() => peers.proxy('n2')).toThrow(/not running/);
      await peers.start();
      await peers.setDelay(['n2'], 30, 0);
      const s = await new Promise<net.Socket>((resolve) => {
        const c = net.connect({ path: a.peer.slice(5) }, () => resolve(c));
      });
      const t0 = performance.now();
      expect((await roundTrip(s, Buffer.from('peer'))).toString()).toBe('peer');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * 30 - 2);
      await peers.clear(['n2']);
      expect((await peers.proxy('n2').stats()).delayedChunks).toBeGreaterThanOrEqual(2);
      s.destroy();
    } finally {
      await peers.close();
      await new Promise<void>((r) => node.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
