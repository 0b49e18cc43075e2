// Listen/connect addresses as text: `unix:/path/to.sock` or `tcp:HOST:PORT` (`tcp:[::1]:7000`
// for IPv6). The built-in store's nodes listen and connect on them, and so does the delay proxy
// (nemesis/proxy.ts) in front of a node's peer listener.

export type Address = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** sun_path holds 108 bytes on Linux (104 on macOS) with the terminating NUL; stay well inside. */
export const MAX_SOCKET_PATH_BYTES = 100;

export function parseAddress(text: string): Address {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path.startsWith('/')) throw new Error(`address ${JSON.stringify(text)}: a unix socket path must be absolute`);
    if (Buffer.byteLength(path) >= MAX_SOCKET_PATH_BYTES) {
      throw new Error(`address ${JSON.stringify(text)}: unix socket paths must be shorter than ${MAX_SOCKET_PATH_BYTES} bytes (use a shorter directory)`);
    }
    return { kind: 'unix', path };
  }
  if (text.startsWith('tcp:')) {
    const rest = text.slice(4);
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(rest);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) throw new Error(`address ${JSON.stringify(text)}: expected tcp:HOST:PORT`);
    return { kind: 'tcp', host: m[1] ?? m[2], port };
  }
  throw new Error(`address ${JSON.stringify(text)}: expected unix:/PATH or tcp:HOST:PORT`);
}

export function formatAddress(a: Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return `tcp:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/** net.connect and server.listen options for the address. */
export function netOptions(a: Address): { path: string } | { host: string; port: number } {
  return a.kind === 'unix' ? { path: a.path } : { host: a.host, port: a.port };
}
