// A node of the built-in store: two HTTP/JSON listeners (clients: POST /op and the clock fault's
// POST /admin/clock; peers: POST /peer; both: GET /status) around a replication mode, and the
// NodeContext the mode runs in.
import http from 'node:http';
import { rmSync } from 'node:fs';
import { netOptions, parseAddress } from '../../base/address.js';
import { JsonPool, RequestError } from './http-json.js';
import type { Mode, ModeFactory, NodeContext, OpReply, OpRequest } from './mode.js';
import type { NodeConfig } from './node-config.js';

/** How long a peer message waits for its reply unless the mode says otherwise. */
export const DEFAULT_PEER_TIMEOUT_MS = 1000;

/** The context a mode gets: NodeContext plus the node's data dir (see store.ts's openStore). */
export interface ServerContext extends NodeContext {
  readonly dataDir: string;
}

export interface RunningNode {
  readonly ctx: ServerContext;
  readonly mode: Mode;
  stop(): Promise<void>;
}

/** Log lines with a millisecond timestamp, to stdout (the target sends it to the node's log file). */
export function stdoutLogger(self: string): (line: string) => void {
  return (line) => {
    process.stdout.write(`${new Date().toISOString()} ${self} ${line}\n`);
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch (e) {
        reject(new Error(`body is not JSON: ${errorText(e)}`));
      }
    });
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': payload.length });
  res.end(payload);
}

function asOpRequest(body: unknown): OpRequest | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body must be { f, key?, value }';
  const b = body as Record<string, unknown>;
  if (typeof b.f !== 'string' || b.f === '') return 'f must be a non-empty string';
  const req: OpRequest = { f: b.f, value: b.value === undefined ? null : b.value };
  if (b.key !== undefined) req.key = b.key;
  return req;
}

export async function startNode(config: NodeConfig, createMode: ModeFactory, log: (line: string) => void = stdoutLogger(config.self)): Promise<RunningNode> {
  const peers = new Map<string, JsonPool>();
  for (const n of config.nodes) if (n.name !== config.self) peers.set(n.name, new JsonPool(parseAddress(n.peer)));
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  /** The clock fault's skew (POST /admin/clock): added to the machine's clock, which stays untouched. */
  let clockOffsetMs = 0;

  const guarded = (what: string, fn: () => void | Promise<void>) => async () => {
    if (stopped) return;
    try {
      await fn();
    } catch (e) {
      log(`${what} failed: ${errorText(e)}`);
    }
  };

  const ctx: ServerContext = {
    self: config.self,
    nodes: config.nodes.map((n) => n.name),
    options: config.options,
    dataDir: config.dataDir,
    async send(peer, message, timeoutMs = DEFAULT_PEER_TIMEOUT_MS) {
      const p = peers.get(peer);
      if (!p) throw new RequestError(`${peer} is not a peer of ${config.self}`, true);
      const res = await p.request('POST', '/peer', { from: config.self, message }, { timeoutMs });
      const body = res.body as { reply?: unknown; error?: unknown } | undefined;
      if (res.status !== 200) throw new RequestError(`${peer} answered HTTP ${res.status}: ${String(body?.error ?? '')}`, false);
      return body?.reply;
    },
    log,
    now: () => Date.now() + clockOffsetMs,
    every(ms, fn) {
      // A round starts only after the previous one finished, so slow rounds never pile up.
      const run = guarded('periodic task', fn);
      const tick = () => {
        const t = setTimeout(async () => {
          timers.delete(t);
          await run();
          if (!stopped) tick();
        }, ms);
        timers.add(t);
      };
      tick();
    },
    after(ms, fn) {
      const run = guarded('delayed task', fn);
      const t = setTimeout(() => {
        timers.delete(t);
        void run();
      }, ms);
      timers.add(t);
    },
  };

  const mode = createMode(ctx);
  const startedAt = Date.now();
  /** Client requests answered (GET /metrics reports it with the mode's own counters). */
  let requests = 0;

  const handle = (kind: 'client' | 'peer') => async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? '/';
    try {
      if (req.method === 'GET' && url === '/status') {
        return reply(res, 200, { node: config.self, mode: config.mode, pid: process.pid, uptimeMs: Date.now() - startedAt, clockOffsetMs, ...(mode.status?.() ?? {}) });
      }
      if (req.method === 'GET' && url === '/metrics' && kind === 'client') {
        const m = mode.metrics?.() ?? {};
        return reply(res, 200, { ...m, counters: { ...m.counters, requests } });
      }
      if (req.method === 'POST' && url === '/admin/clock' && kind === 'client') {
        let body: unknown;
        try {
          body = await readBody(req);
        } catch (e) {
          return reply(res, 400, { error: errorText(e) });
        }
        const offset = (body as { offsetMs?: unknown } | undefined)?.offsetMs;
        if (typeof offset !== 'number' || !Number.isFinite(offset)) return reply(res, 400, { error: 'the body must be { offsetMs: number }' });
        log(`clock offset ${clockOffsetMs} -> ${offset} ms`);
        clockOffsetMs = offset;
        return reply(res, 200, { clockOffsetMs, now: ctx.now() });
      }
      if (req.method === 'POST' && url === '/op' && kind === 'client') {
        let body: unknown;
        try {
          body = await readBody(req);
        } catch (e) {
          return reply(res, 400, { type: 'fail', error: errorText(e) });
        }
        const op = asOpRequest(body);
        if (typeof op === 'string') return reply(res, 400, { type: 'fail', error: op });
        let out: OpReply;
        requests++;
        try {
          out = await mode.handle(op);
        } catch (e) {
          // The mode may have applied part of it: unknown.
          log(`op ${op.f} failed inside the mode: ${errorText(e)}`);
          return reply(res, 500, { type: 'info', error: errorText(e) });
        }
        return reply(res, 200, out);
      }
      if (req.method === 'POST' && url === '/peer' && kind === 'peer') {
        let body: unknown;
        try {
          body = await readBody(req);
        } catch (e) {
          return reply(res, 400, { error: errorText(e) });
        }
        const b = body as { from?: unknown; message?: unknown } | undefined;
        if (!b || typeof b.from !== 'string') return reply(res, 400, { error: 'the body must be { from, message }' });
        try {
          return reply(res, 200, { reply: await mode.peer(b.from, b.message) });
        } catch (e) {
          return reply(res, 500, { error: errorText(e) });
        }
      }
      return reply(res, 404, { error: `no ${req.method} ${url} on the ${kind} listener` });
    } catch (e) {
      if (!res.headersSent) reply(res, 500, { type: 'info', error: errorText(e) });
    }
  };

  const self = config.nodes.find((n) => n.name === config.self);
  if (!self) throw new Error(`node config: self ${config.self} is not among the nodes`);
  const servers: http.Server[] = [];
  for (const [kind, text] of [
    ['client', self.client],
    ['peer', self.peer],
  ] as const) {
    const address = parseAddress(text);
    const server = http.createServer({ keepAlive: true }, handle(kind));
    // Clients keep connections for a whole test; never close them under an idle client.
    server.keepAliveTimeout = 10 * 60_000;
    server.headersTimeout = 0;
    server.requestTimeout = 0;
    // A socket file left by a killed node would make listen fail with EADDRINUSE.
    if (address.kind === 'unix') rmSync(address.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot listen for ${kind}s on ${text}: ${errorText(e)}`)));
      server.listen(netOptions(address), () => resolve());
    });
    servers.push(server);
    log(`listening for ${kind}s on ${text}`);
  }

  return {
    ctx,
    mode,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const p of peers.values()) p.destroy();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
