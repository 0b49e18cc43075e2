// The target a config names. Only the built-in store so far; real systems plug in here.
import { createBuiltinTarget } from '../targets/builtin/target.js';
import type { Target } from '../targets/types.js';
import type { TargetConfig } from './config.js';

/** The target for `config`, keeping its logs (and data) under the run folder `dir`. */
export function createTarget(config: TargetConfig, dir: string): Target {
  return createBuiltinTarget({ mode: config.mode, nodes: config.nodes, options: config.options, dir });
}
