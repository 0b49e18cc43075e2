// The client side of a described system: what faultline's client threads use to reach each node
// — the description's adapter (one process per thread, docs/stdio.md), or one of faultline's
// built-in clients (etcd, redis with Sentinel, postgres) over a unix socket per node and port —
// and what needs doing once the nodes serve (the adapter's init, postgres's tables).
import { join } from 'node:path';
import { InputError } from '../../histories/errors.js';
import { run } from '../../control/local.js';
import { DEFAULT_RESTART_LIMIT } from '../stdio/target.js';
import { StdioClient, DEFAULT_CLOSE_GRACE_MS } from '../stdio/client.js';
import { NodeAdapters } from '../stdio/node-adapters.js';
import { UnlessKilled } from '../common/unless-killed.js';
import type { Client } from '../types.js';
import type { AdapterClient, BuiltinClient, SystemDescription } from './description.js';
import { gist } from './machine.js';
import { fillArgv } from './placeholders.js';
import type { Reach } from './reach.js';
import type { SystemSurroundings } from './target.js';

export interface ClientNode {
  node: string;
  ip: string;
  /** The run's logs/<node>/ (adapter logs go here). */
  localLogDir: string;
}

/** What the test asks of the client beyond the description (the config's target options). */
export interface ClientSettings {
  workload?: string;
  /** postgres */
  isolation?: 'read-committed' | 'repeatable-read' | 'serializable';
  /** redis */
  readFrom?: 'primary' | 'replica';
  waitReplicas?: number;
  waitTimeoutMs?: number;
  /** adapter */
  restartLimit?: number;
  /** A client's own per-op timeout when the runner passes no signal. */
  timeoutMs?: number;
}

export interface ClientContext {
  description: SystemDescription;
  nodes: readonly ClientNode[];
  /** A port's number (after the cluster file's overrides). */
  port(name: string): number;
  /** Option values (the description's, overridden): the adapter's argv may use them. */
  options: Readonly<Record<string, string>>;
  reach: Reach;
  /** A short folder of the run's for unix sockets (made on first use). */
  socketDir: () => string;
  runId: string;
  settings: ClientSettings;
}

/** The client half of a system's surroundings (target.ts): open, ready, close, clients. */
export type ClientSide = Required<Pick<SystemSurroundings, 'open' | 'ready' | 'client' | 'address'>> & Pick<SystemSurroundings, 'primaries'> & { close(): Promise<void> };

export function clientSide(ctx: ClientContext): ClientSide {
  const c = ctx.description.client;
  return c.kind === 'adapter' ? adapterSide(ctx, c) : builtinSide(ctx, c);
}

function nodeOf(ctx: ClientContext, name: string): ClientNode {
  const n = ctx.nodes.find((x) => x.node === name);
  if (!n) throw new Error(`${ctx.description.name}: no node ${JSON.stringify(name)}`);
  return n;
}

function adapterSide(ctx: ClientContext, c: AdapterClient): ClientSide {
  const d = ctx.description;
  const port = ctx.port(c.port);
  const placeholders = { systemDir: d.dir, runId: ctx.runId, nodes: ctx.nodes.map((n) => n.node).join(','), ...ctx.options };
  const argv = fillArgv(c.adapter, placeholders);
  const addresses = new Map<string, string>();
  let live = false;
  const clients = new Set<StdioClient>();
  const env = (node?: string): Record<string, string> => ({
    ...(node === undefined ? {} : { FAULTLINE_NODE: node, FAULTLINE_ADDRESS: addresses.get(node) ?? '' }),
    FAULTLINE_ADDRESSES: ctx.nodes.map((n) => addresses.get(n.node) ?? '').join(','),
    FAULTLINE_WORKLOAD: ctx.settings.workload ?? '',
  });
  const adapters = new Map(
    ctx.nodes.map((n) => [
      n.node,
      new NodeAdapters({
        node: n.node,
        argv,
        logDir: n.localLogDir,
        env: () => env(n.node),
        restartLimit: ctx.settings.restartLimit ?? DEFAULT_RESTART_LIMIT,
        live: () => live,
        wrap: (a) => ctx.reach.wrap(a),
      }),
    ]),
  );
  return {
    async open() {
      for (const n of ctx.nodes) addresses.set(n.node, await ctx.reach.tcp(n.node, n.ip, port));
      live = true;
    },
    async ready() {
      if (c.init === undefined) return;
      const init = fillArgv(c.init, placeholders);
      const r = await run(ctx.reach.wrap(['env', ...Object.entries(env()).map(([k, v]) => `${k}=${v}`), ...init]), {
        allowFailure: true,
        timeoutMs: d.timeouts.ready * 1000,
      });
      if (r.exitCode !== 0) throw new Error(`the client's init (${init.join(' ').slice(0, 80)}) exited ${r.exitCode}: ${gist(r.stderr || r.stdout) || 'no output'}`);
    },
    async close() {
      live = false;
      await Promise.all([...clients].map((x) => x.close().catch(() => undefined)));
    },
    client(node, down) {
      const a = adapters.get(node);
      if (!a) throw new Error(`${d.name}: no node ${JSON.stringify(node)}`);
      const client = new StdioClient(node, a, DEFAULT_CLOSE_GRACE_MS, (closed) => clients.delete(closed));
      clients.add(client);
      return new UnlessKilled(client, down);
    },
    address: (node) => addresses.get(node) ?? '',
  };
}

function builtinSide(ctx: ClientContext, c: BuiltinClient): ClientSide {
  switch (c.builtin) {
    case 'etcd':
      return etcdSide(ctx, c);
    case 'redis':
      return redisSide(ctx, c);
    case 'postgres':
      return postgresSide(ctx, c);
  }
}

/** Opens a socket per node to `port`, at `pathOf(node)`. */
async function openSockets(ctx: ClientContext, port: number, pathOf: (node: string) => string): Promise<void> {
  await Promise.all(ctx.nodes.map((n) => ctx.reach.socket(n.node, n.ip, port, pathOf(n.node))));
}

function etcdSide(ctx: ClientContext, c: BuiltinClient): ClientSide {
  const port = ctx.port(c.port);
  const socket = (node: string) => join(ctx.socketDir(), `${node}.etcd.sock`);
  let mod: typeof import('../etcd/index.js') | undefined;
  let ops: typeof import('../etcd/ops.js') | undefined;
  let leaders: typeof import('../etcd/leaders.js') | undefined;
  return {
    async open() {
      [mod, ops, leaders] = await Promise.all([import('../etcd/index.js'), import('../etcd/ops.js'), import('../etcd/leaders.js')]);
      await openSockets(ctx, port, socket);
    },
    async ready() {},
    async close() {},
    client(node, down) {
      nodeOf(ctx, node);
      const inner = new mod!.EtcdClient(node, socket(node), ops!.dialectFor(ctx.settings.workload), { timeoutMs: ctx.settings.timeoutMs });
      return new UnlessKilled(inner, down);
    },
    address: socket,
    primaries: (running) => leaders!.etcdLeaders(running, socket),
  };
}

function redisSide(ctx: ClientContext, c: BuiltinClient): ClientSide {
  const serverPort = ctx.port(c.ports.server);
  const sentinelPort = ctx.port(c.ports.sentinel);
  const server = (node: string) => join(ctx.socketDir(), `${node}.redis.sock`);
  const sentinel = (node: string) => join(ctx.socketDir(), `${node}.sentinel.sock`);
  // Sentinel reports primaries by address: map them back to nodes (and so to their sockets).
  const nodeAt = (ip: string, port: number) => (port === serverPort ? ctx.nodes.find((n) => n.ip === ip)?.node : undefined);
  let client: typeof import('../redis/client.js') | undefined;
  let sentinels: typeof import('../redis/sentinels.js') | undefined;
  let dialect: typeof import('../redis/ops.js') | undefined;
  const discoverPrimary = (o?: { signal?: AbortSignal; timeoutMs?: number }) => sentinels!.agreedPrimary(ctx.nodes.map((n) => sentinel(n.node)), nodeAt, { signal: o?.signal, timeoutMs: Math.min(1000, o?.timeoutMs ?? 1000) });
  return {
    async open() {
      [client, sentinels, dialect] = await Promise.all([import('../redis/client.js'), import('../redis/sentinels.js'), import('../redis/ops.js')]);
      await openSockets(ctx, serverPort, server);
      await openSockets(ctx, sentinelPort, sentinel);
    },
    async ready() {},
    async close() {},
    client(node, down) {
      nodeOf(ctx, node);
      const s = ctx.settings;
      const inner = new client!.RedisClient(node, { socketPath: server, discoverPrimary }, dialect!.dialectFor(s.workload), {
        readFrom: s.readFrom,
        waitReplicas: s.waitReplicas,
        waitTimeoutMs: s.waitTimeoutMs,
        timeoutMs: s.timeoutMs,
      });
      return new UnlessKilled(inner, down);
    },
    address: server,
    async primaries() {
      const p = await discoverPrimary();
      return p === undefined ? [] : [p];
    },
  };
}

function postgresSide(ctx: ClientContext, c: BuiltinClient): ClientSide {
  const port = ctx.port(c.port);
  // libpq and pg find a server's socket as <folder>/.s.PGSQL.<port>.
  const folder = (node: string) => join(ctx.socketDir(), `${node}-pg`);
  const socket = (node: string) => join(folder(node), `.s.PGSQL.${port}`);
  // Replicated (a Patroni REST API per node): writes go to the primary Patroni names (targets/postgres/patroni.ts).
  const api = (node: string) => join(ctx.socketDir(), `${node}.patroni.sock`);
  let mod: typeof import('../postgres/client.js') | undefined;
  let sql: typeof import('../postgres/sql.js') | undefined;
  let single: typeof import('../postgres/single-ops.js') | undefined;
  let finder: import('../postgres/patroni.js').PrimaryFinder | undefined;
  const workload = ctx.settings.workload;
  const served = () => sql!.isTxnWorkload(workload) || single!.isSingleWorkload(workload);
  return {
    async open() {
      let patroni: typeof import('../postgres/patroni.js') | undefined;
      [mod, sql, single, patroni] = await Promise.all([import('../postgres/client.js'), import('../postgres/sql.js'), import('../postgres/single-ops.js'), import('../postgres/patroni.js')]);
      if (!served()) throw new InputError(`the postgres client runs list-append, rw-register, register and set, not ${JSON.stringify(workload)}`);
      if (ctx.settings.readFrom === 'replica' && c.patroni === undefined) throw new InputError(`--read-from replica: ${ctx.description.name} has one server per node and no replication (${ctx.description.file}); replicated PostgreSQL is --target postgres --replicas N`);
      const { mkdirSync } = await import('node:fs');
      for (const n of ctx.nodes) mkdirSync(folder(n.node), { recursive: true, mode: 0o700 });
      await openSockets(ctx, port, socket);
      if (c.patroni !== undefined) {
        await openSockets(ctx, ctx.port(c.patroni), api);
        finder = new patroni.PrimaryFinder(
          ctx.nodes.map((n) => n.node),
          api,
        );
      }
    },
    async ready() {
      // The tables, once, through the first node (the others replicate them, or share them) — or,
      // replicated, through the primary.
      const pg = (await import('pg')).default;
      const first = (await finder?.primary()) ?? ctx.nodes[0].node;
      const conn = new pg.Client({ host: folder(first), port, user: c.user, database: c.database, connectionTimeoutMillis: 10_000 });
      try {
        await conn.connect();
        await conn.query(sql!.createTablesSql());
        await conn.query(single!.createSingleTablesSql());
      } catch (e) {
        throw new Error(`creating the tables on ${first}: ${(e as Error).message}`);
      } finally {
        await conn.end().catch(() => undefined);
      }
    },
    async close() {},
    client(node, down) {
      nodeOf(ctx, node);
      const f = finder;
      const inner = new mod!.PostgresClient(node, {
        socketDir: folder(node),
        port,
        user: c.user,
        database: c.database,
        workload: workload as 'list-append',
        isolation: ctx.settings.isolation ?? 'serializable',
        timeoutMs: ctx.settings.timeoutMs,
        ...(f === undefined ? {} : { route: { socketDir: folder, primary: () => f.primary(), forget: (n: string) => f.forget(n), readFrom: ctx.settings.readFrom ?? 'primary' } }),
      });
      return new UnlessKilled(inner, down);
    },
    address: socket,
    ...(c.patroni === undefined
      ? {}
      : {
          async primaries() {
            const p = await finder!.primary();
            return p === undefined ? [] : [p];
          },
        }),
  };
}
