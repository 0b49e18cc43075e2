// Where a replicated PostgreSQL's primary is, as Patroni says: GET /patroni on each node's REST API
// (reached through a unix socket per node, as faultline's clients reach every node) answers the
// node's role, state and timeline. The primary is the running node that calls itself primary
// ("master" in older Patroni); when two do — an old primary cut off from the DCS has not demoted
// itself yet — the one on the newest timeline wins, as a fresh client of a Patroni cluster would
// find through the DCS. Answers are cached briefly and shared by every client thread.
import http from 'node:http';

export interface PatroniStatus {
  node: string;
  role: string;
  state: string;
  timeline: number;
}

/** GET `path` on the REST API behind the unix socket `socketPath`: the status code and JSON body. */
export function patroniGet(socketPath: string, path: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'GET', timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** One node's status, or undefined when its API does not answer. */
export async function patroniStatus(node: string, socketPath: string, timeoutMs: number): Promise<PatroniStatus | undefined> {
  try {
    const r = await patroniGet(socketPath, '/patroni', timeoutMs);
    const b = r.body as { role?: unknown; state?: unknown; timeline?: unknown } | undefined;
    if (b === undefined || typeof b !== 'object' || b === null) return undefined;
    return { node, role: String(b.role ?? ''), state: String(b.state ?? ''), timeline: typeof b.timeline === 'number' ? b.timeline : 0 };
  } catch {
    return undefined;
  }
}

export const isPrimaryRole = (role: string) => role === 'primary' || role === 'master';

/** The primary among `statuses` (the newest timeline's, when several claim it), if any. */
export function primaryOf(statuses: readonly (PatroniStatus | undefined)[]): string | undefined {
  const claims = statuses.filter((s): s is PatroniStatus => s !== undefined && isPrimaryRole(s.role) && s.state === 'running');
  claims.sort((a, b) => b.timeline - a.timeline || a.node.localeCompare(b.node));
  return claims[0]?.node;
}

const CACHE_MS = 300;
const ASK_TIMEOUT_MS = 1000;

/** The primary as Patroni reports it, asked of every node at most every CACHE_MS ms. */
export class PrimaryFinder {
  private cached: { node: string | undefined; at: number } | undefined;
  private asking: Promise<string | undefined> | undefined;

  constructor(
    private readonly nodes: readonly string[],
    private readonly apiSocket: (node: string) => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The primary's node name, or undefined when no node claims it. */
  async primary(): Promise<string | undefined> {
    const c = this.cached;
    if (c !== undefined && c.node !== undefined && this.now() - c.at < CACHE_MS) return c.node;
    this.asking ??= this.ask().finally(() => (this.asking = undefined));
    return this.asking;
  }

  /** Forget the answer (an op found the node was not, or no longer, the primary). */
  forget(node?: string): void {
    if (node === undefined || this.cached?.node === node) this.cached = undefined;
  }

  /** Every node's status (undefined where its API does not answer). */
  statuses(): Promise<(PatroniStatus | undefined)[]> {
    return Promise.all(this.nodes.map((n) => patroniStatus(n, this.apiSocket(n), ASK_TIMEOUT_MS)));
  }

  private async ask(): Promise<string | undefined> {
    const node = primaryOf(await this.statuses());
    this.cached = { node, at: this.now() };
    return node;
  }
}
