// Entry point of a delay proxy running as its own process, e.g. inside a node's network namespace
// (`ip netns exec NS node proxy-main.js '{"listen":…,"target":…}'`), where a proxy in faultline's
// own process could not listen. It prints {"listening": ADDRESS} once ready, then takes one JSON
// command per stdin line and answers each on stdout (proxy-process.ts speaks the other side):
//   {"id":1,"op":"set","delayMs":100,"jitterMs":10} | {"id":2,"op":"clear"} | {"id":3,"op":"stats"}
// It exits when stdin closes, so it never outlives faultline.
import { createInterface } from 'node:readline';
import { DelayProxy } from './proxy.js';

interface Command {
  id?: unknown;
  op?: unknown;
  delayMs?: unknown;
  jitterMs?: unknown;
}

function say(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  let spec: { listen?: unknown; target?: unknown };
  try {
    spec = JSON.parse(process.argv[2] ?? '') as typeof spec;
  } catch {
    process.stderr.write('usage: proxy-main \'{"listen":"tcp:HOST:PORT","target":"tcp:HOST:PORT"}\'\n');
    process.exit(2);
  }
  if (typeof spec.listen !== 'string' || typeof spec.target !== 'string') {
    process.stderr.write('proxy-main: listen and target must be address strings\n');
    process.exit(2);
  }
  let proxy: DelayProxy;
  try {
    proxy = await DelayProxy.start(spec.listen, spec.target);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  say({ listening: proxy.listen });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    void (async () => {
      let cmd: Command = {};
      try {
        cmd = JSON.parse(line) as Command;
        if (cmd.op === 'set') await proxy.setDelay(Number(cmd.delayMs), cmd.jitterMs === undefined ? 0 : Number(cmd.jitterMs));
        else if (cmd.op === 'clear') await proxy.clear();
        else if (cmd.op === 'stats') return say({ id: cmd.id, ok: true, stats: await proxy.stats() });
        else throw new Error(`unknown op ${JSON.stringify(cmd.op)}`);
        say({ id: cmd.id, ok: true });
      } catch (e) {
        say({ id: cmd.id, error: (e as Error).message });
      }
    })();
  });
  lines.on('close', () => {
    void proxy.close().finally(() => process.exit(0));
  });
}

void main();
