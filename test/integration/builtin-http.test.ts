// The built-in store's own HTTP/JSON client (JsonPool) against node:http servers on unix sockets:
// replies of any size, connection reuse, timeouts, aborts, refused and closed connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { JsonPool, RequestError, requestOnce } from '../../targets/builtin/http-json.js';
import { parseAddress } from '../../base/address.js';

const dir = mkdtempSync('/tmp/fl-http-');
const sock = join(dir, 's.sock');
let connections = 0;
let server: http.Server;

beforeAll(async () => {
  server = http.createServer({ keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : null;
      const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        const payload = Buffer.from(JSON.stringify(value));
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': payload.length, ...headers });
        res.end(payload);
      };
      if (req.url === '/echo') return send(200, { method: req.method, body });
      if (req.url === '/big') return send(200, Array.from({ length: 100_000 }, (_, i) => `element-${i}`));
      if (req.url === '/slow') return setTimeout(() => send(200, 'late'), 2000);
      if (req.url === '/close') return send(200, 'bye', { connection: 'close' });
      if (req.url === '/error') return send(500, { error: 'boom' });
      send(404, { error: 'no such path' });
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(sock, r));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('JsonPool', () => {
  it('sends JSON and reads JSON replies, small and large, over one kept-alive connection', async () => {
    const pool = new JsonPool(parseAddress(`unix:${sock}`));
    const before = connections;
    for (let i = 0; i < 20; i++) {
      const r = await pool.request('POST', '/echo', { i, s: 'é∑' });
      expect(r).toEqual({ status: 200, body: { method: 'POST', body: { i, s: 'é∑' } } });
    }
    const big = await pool.request('GET', '/big', undefined);
    expect((big.body as string[]).length).toBe(100_000);
    expect((big.body as string[])[99_999]).toBe('element-99999');
    expect(await pool.request('GET', '/error', undefined)).toEqual({ status: 500, body: { error: 'boom' } });
    expect(connections - before).toBe(1);
    pool.destroy();
  });

  it('opens a connection per concurrent request and reuses them', async () => {
    const pool = new JsonPool(parseAddress(`unix:${sock}`));
    const before = connections;
    await Promise.all(Array.from({ length: 5 }, (_, i) => pool.request('POST', '/echo', i)));
    await Promise.all(Array.from({ length: 5 }, (_, i) => pool.request('POST', '/echo', i)));
    expect(connections - before).toBe(5);
    pool.destroy();
  });

  it('a timeout or an abort after sending may have happened; an abort before sending did not', async () => {
    const pool = new JsonPool(parseAddress(`unix:${sock}`));
    const timedOut = await pool.request('GET', '/slow', undefined, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(RequestError);
    expect(timedOut).toMatchObject({ notDelivered: false, code: 'ETIMEDOUT' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await pool.request('GET', '/slow', undefined, { signal: ac.signal }).catch((e: unknown) => e)).toMatchObject({ notDelivered: false, code: 'ABORTED' });
    expect(await pool.request('GET', '/slow', undefined, { signal: AbortSignal.abort() }).catch((e: unknown) => e)).toMatchObject({ notDelivered: true });
    // The pool still works after dropping those connections.
    expect((await pool.request('POST', '/echo', 1)).status).toBe(200);
    pool.destroy();
  });

  it('nothing listening: certainly not delivered', async () => {
    const e = await requestOnce(parseAddress(`unix:${join(dir, 'none.sock')}`), 'GET', '/echo', undefined).catch((x: unknown) => x);
    expect(e).toMatchObject({ notDelivered: true, code: 'ENOENT' });
  });

  it('copes with the server closing connections, by reply header or while idle', async () => {
    const pool = new JsonPool(parseAddress(`unix:${sock}`));
    expect((await pool.request('GET', '/close', undefined)).body).toBe('bye');
    expect((await pool.request('POST', '/echo', 2)).body).toEqual({ method: 'POST', body: 2 });
    server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
    expect((await pool.request('POST', '/echo', 3)).body).toEqual({ method: 'POST', body: 3 });
    pool.destroy();
    expect(await pool.request('POST', '/echo', 4).catch((e: unknown) => e)).toMatchObject({ notDelivered: true });
  });
});
