// A delay proxy in a process of its own, started through a Control (e.g. inside a node's network
// namespace: a proxy in faultline's process cannot listen or connect there). Speaks proxy-main's
// stdin/stdout protocol; the child exits when its stdin closes, so it dies with faultline.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Control } from '../control/types.js';
import type { PeerProxy, ProxyStats } from './proxy.js';

const DEFAULT_TIMEOUT_MS = 10_000;

/** proxy-main.js next to this file (compiled), else the compiled copy under dist/ (tests run sources). */
export function proxyMainPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'proxy-main.js'), resolve(here, '../dist/nemesis/proxy-main.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`proxy: cannot find proxy-main.js (looked at ${candidates.join(', ')}); build first: npm run build`);
  return found;
}

interface Reply {
  id?: number;
  ok?: boolean;
  error?: string;
  stats?: ProxyStats;
  listening?: string;
}

/** Starts a proxy from `listen` to `target` where `control` runs commands; resolves once it listens. */
export async function spawnProxy(control: Control, listen: string, target: string, options: { timeoutMs?: number } = {}): Promise<PeerProxy> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const [file, ...args] = control.wrap([process.execPath, proxyMainPath(), JSON.stringify({ listen, target })]);
  const child = execa(file, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false, cleanup: true });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 4096) stderr += c.toString('utf8');
  });
  const waiting = new Map<number, (r: Reply) => void>();
  let nextId = 1;
  let exited = false;
  let onListening: ((r: Reply) => void) | undefined;
  const ended = child.then(() => {
    exited = true;
    const gone: Reply = { error: `the proxy process ${where()} exited${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}` };
    onListening?.(gone);
    for (const w of waiting.values()) w(gone);
    waiting.clear();
  });
  const where = () => `(${listen} → ${target}, ${control.where})`;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let r: Reply;
    try {
      r = JSON.parse(line) as Reply;
    } catch {
      return;
    }
    if (r.listening !== undefined) return onListening?.(r);
    const w = r.id === undefined ? undefined : waiting.get(r.id);
    if (w && r.id !== undefined) {
      waiting.delete(r.id);
      w(r);
    }
  });

  const withTimeout = (what: string, wait: Promise<Reply>): Promise<Reply> =>
    new Promise<Reply>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`proxy ${where()}: no answer to ${what} within ${timeoutMs} ms`)), timeoutMs);
      void wait.then((r) => {
        clearTimeout(t);
        if (r.error !== undefined) rej(new Error(`proxy ${where()}: ${what}: ${r.error}`));
        else res(r);
      });
    });

  const call = (command: Record<string, unknown>): Promise<Reply> => {
    if (exited) return Promise.reject(new Error(`proxy ${where()} is not running`));
    const id = nextId++;
    const reply = new Promise<Reply>((res) => waiting.set(id, res));
    child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    return withTimeout(String(command.op), reply);
  };

  let bound: string;
  try {
    bound = (await withTimeout('start', new Promise<Reply>((res) => (onListening = res)))).listening!;
  } catch (e) {
    child.kill('SIGKILL');
    await ended;
    throw e;
  }
  return {
    listen: bound,
    target,
    async setDelay(delayMs, jitterMs = 0) {
      await call({ op: 'set', delayMs, jitterMs });
    },
    async clear() {
      await call({ op: 'clear' });
    },
    async stats() {
      return (await call({ op: 'stats' })).stats!;
    },
    async close() {
      if (!exited) child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await ended;
      clearTimeout(t);
    },
  };
}
