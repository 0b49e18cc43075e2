// Entry point of one node process: `node node-main.js CONFIG` (JSON, or a file holding it; see
// node-config.ts). The node lives as long as the process that started it: it exits when its
// stdin (a pipe from the parent) reaches end of file and, as a backup for parents that hand it
// no pipe, when the parent pid is gone. Then it also kills its siblings (siblings.ts): one that is
// paused cannot see the parent go.
import { rmdirSync, rmSync } from 'node:fs';
import { watchParent } from '../parent-watch.js';
import { basename, dirname } from 'node:path';
import { parseAddress } from '../../base/address.js';
import { modeFactory } from './modes/index.js';
import { NodeConfigError, parseNodeConfigArg, type NodeConfig } from './node-config.js';
import { startNode, stdoutLogger, type RunningNode } from './server.js';
import { killSiblings, writePidFile } from './siblings.js';
import { configureWorkload } from './state-machine.js';

/**
 * Removes the socket files of this node (or, when the cluster is orphaned, of every node: the
 * siblings are dead or dying), and the target's temp socket dir once it is empty.
 */
function removeSockets(config: NodeConfig, everyNode: boolean): void {
  const nodes = config.nodes.filter((n) => everyNode || n.name === config.self);
  for (const text of nodes.flatMap((n) => [n.client, n.peer])) {
    const a = parseAddress(text);
    if (a.kind !== 'unix') continue;
    try {
      rmSync(a.path, { force: true });
      if (basename(dirname(a.path)).startsWith('faultline-')) rmdirSync(dirname(a.path));
    } catch {
      // Other nodes' sockets are still there, or it is gone already.
    }
  }
}

async function main(): Promise<void> {
  let config: NodeConfig;
  try {
    config = parseNodeConfigArg(process.argv[2]);
  } catch (e) {
    process.stderr.write(`${e instanceof NodeConfigError ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const log = stdoutLogger(config.self);
  let node: RunningNode | undefined;
  let exiting = false;
  const exit = (why: string, code = 0, orphaned = false) => {
    if (exiting) return;
    exiting = true;
    log(`exiting: ${why}`);
    removeSockets(config, orphaned);
    // Nothing to flush: every acknowledged change was written before it was acknowledged.
    process.exit(code);
  };
  watchParent(config.parentPid, (why) => {
    if (config.pidDir !== undefined && !exiting) {
      const killed = killSiblings(config.pidDir, config.nodes.map((n) => n.name), config.self);
      if (killed.length > 0) log(`killed sibling(s) left behind: ${killed.join(', ')}`);
    }
    exit(why, 0, true);
  });
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  process.on('SIGHUP', () => exit('SIGHUP'));

  const workload = config.options.workload as string | undefined;
  if (!configureWorkload(workload)) log(`workload ${JSON.stringify(workload)} is not one the store tells apart; read/add/txn use their defaults`);
  log(`starting: mode ${config.mode}, pid ${process.pid}, nodes ${config.nodes.map((n) => n.name).join(' ')}, data ${config.dataDir}`);
  try {
    node = await startNode(config, modeFactory(config.mode), log);
  } catch (e) {
    log(`could not start: ${e instanceof Error ? e.message : String(e)}`);
    exit('start failed', 1);
    return;
  }
  if (config.pidDir !== undefined) writePidFile(config.pidDir, config.self);
  log('ready');
  void node;
}

process.on('uncaughtException', (e) => {
  process.stdout.write(`${new Date().toISOString()} uncaught: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});

void main();
