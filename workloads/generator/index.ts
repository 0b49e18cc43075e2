// Jepsen-style generators: pure, seeded values that say which op to invoke next, on which thread
// and when. See DESIGN.md ("Generators are pure and seeded") and docs in each file.
export type { Context, Emit, GenEvent, GenLike, Generator, Invocation, OpResult, OpTemplate, Thread } from './types.js';
export { Random } from '../../base/random.js';
export {
  allFree,
  atTime,
  completed,
  freeProcesses,
  invoked,
  isFree,
  makeContext,
  processToThread,
  restrict,
  restrictTo,
  someFreeProcess,
  threadToProcess,
  workThreads,
  type ContextOptions,
} from './context.js';
export { fillIn, gen, isGenerator, opOf, updateOf, type Gen } from './core.js';
export { any, cycle, filter, flipFlop, limit, map, mix, once, phases, repeat, sleep, synchronize, andThen, untilOk } from './combinators.js';
export { delay, stagger, timeLimit } from './time.js';
export { clients, eachThread, nemesis, onThreads, reserve } from './threads.js';
export { simulate, type Outcome, type SimulateOptions } from './simulate.js';
