// `faultline cluster up|status|down` as a person uses it: the cluster outlives the command, its
// nodes answer on the addresses printed, a second `up` is refused, and `down` leaves no process.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { processesMentioning } from '../helpers/processes.js';

const bin = resolve('bin/faultline.js');
const cwd = mkdtempSync(join(tmpdir(), 'faultline-cluster-'));

function faultline(args: string[]) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, all: true });
}

afterAll(async () => {
  // Whatever a failed assertion left up goes down before the folder does.
  for (const t of ['builtin', 'etcd']) await faultline(['cluster', 'down', '--target', t]);
  rmSync(cwd, { recursive: true, force: true });
});


function post(socketPath: string, path: string, body: unknown): Promise<unknown> {
  return new Promise((res, rej) => {
    const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
      let text = '';
      r.on('data', (d: Buffer) => (text += d.toString()));
      r.on('end', () => res(JSON.parse(text)));
    });
    req.on('error', rej);
    req.end(JSON.stringify(body));
  });
}

describe('faultline cluster', () => {
  it('up starts a built-in cluster that outlives the command, status shows where its nodes are, down stops every node', async () => {
    const up = await faultline(['cluster', 'up', '--nodes', '3']);
    expect(up.exitCode, up.all).toBe(0);
    const sockets = [...up.stdout.matchAll(/^ {2}(n\d) {2}(\S+\.sock) {2}logs: (\S+)$/gm)].map((m) => ({ node: m[1], socket: m[2], log: m[3] }));
    expect(sockets.map((s) => s.node)).toEqual(['n1', 'n2', 'n3']);
    expect(up.stdout).toMatch(/^try: curl -s --unix-socket /m);
    // The command has exited; the nodes still answer, and the sync cluster replicates.
    expect(await post(sockets[0].socket, '/op', { f: 'write', value: 42 })).toEqual({ type: 'ok', value: 42 });
    expect(await post(sockets[2].socket, '/op', { f: 'read', value: null })).toEqual({ type: 'ok', value: 42 });
    const state = JSON.parse(readFileSync(join(cwd, 'store/clusters/builtin/state.json'), 'utf8'));
    expect(state.status).toBe('up');
    expect(processesMentioning('node-main').length).toBeGreaterThanOrEqual(3);

    const status = await faultline(['cluster', 'status']);
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stdout).toMatch(/^builtin \(leader-follower-sync\) cluster up since .* holder pid \d+ · local · store\/clusters\/builtin$/m);

    const again = await faultline(['cluster', 'up']);
    expect(again.exitCode).toBe(3);
    expect(again.stderr.trim()).toMatch(/^faultline: a builtin cluster is already up in store\/clusters\/builtin \(holder pid \d+\); stop it with: faultline cluster down --target builtin$/);

    const down = await faultline(['cluster', 'down']);
    expect(down.exitCode, down.all).toBe(0);
    expect(down.stdout).toMatch(/^builtin cluster down/);
    expect(processesMentioning(state.dir)).toEqual([]);
    expect(processesMentioning('node-main')).toEqual([]);
    for (const s of sockets) expect(existsSync(s.socket)).toBe(false);
    expect(existsSync(join(cwd, sockets[0].log))).toBe(true); // logs are kept
    const none = await faultline(['cluster', 'status']);
    expect(none.exitCode).toBe(3);
    expect(none.stdout).toMatch(/^no builtin cluster is up/);
  });

  it('an etcd cluster comes up with members answering on their sockets, and goes down with nothing left', async () => {
    const up = await faultline(['cluster', 'up', '--target', 'etcd']);
    expect(up.exitCode, up.all).toBe(0);
    const first = /^ {2}n1 {2}(\S+)/m.exec(up.stdout)![1];
    expect(up.stdout).toMatch(new RegExp(`^try: etcdctl --endpoints unix://${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} put k v`, 'm'));
    const dir = JSON.parse(readFileSync(join(cwd, 'store/clusters/etcd/state.json'), 'utf8')).dir as string;
    expect(processesMentioning(dir).length).toBeGreaterThanOrEqual(3);
    const put = await execa('etcdctl', ['--endpoints', `unix://${first}`, 'put', 'k', 'v'], { reject: false });
    expect(put.stdout, put.stderr).toBe('OK');
    const down = await faultline(['cluster', 'down', '--target', 'etcd']);
    expect(down.exitCode, down.all).toBe(0);
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(first)).toBe(false);
  });

  it('a holder that was killed takes its nodes with it; status says so and down clears the state', async () => {
    const up = await faultline(['cluster', 'up', '--name', 'doomed']);
    expect(up.exitCode, up.all).toBe(0);
    const pid = Number(/holder pid (\d+)/.exec(up.stdout)![1]);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while (processesMentioning('store/clusters/doomed').length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(processesMentioning('clusters/doomed')).toEqual([]);
    const status = await faultline(['cluster', 'status', '--name', 'doomed']);
    expect(status.exitCode).toBe(3);
    expect(status.stdout).toMatch(/holder \(pid \d+\) is gone/);
    expect((await faultline(['cluster', 'down', '--name', 'doomed'])).exitCode).toBe(0);
    expect(existsSync(join(cwd, 'store/clusters/doomed/state.json'))).toBe(false);
  });
});
