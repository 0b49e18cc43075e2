// Nemesis.healAll when the run ends while a fault is being started (issue 23): the start finishes
// first, then the heal undoes it, so nothing it does lands after the heal (a SIGSTOP sent after
// the SIGCONT would leave a node paused).
import { describe, expect, it } from 'vitest';
import { Nemesis } from '../nemesis/nemesis.js';
import { pauseFault } from '../nemesis/process-faults.js';
import type { Target } from '../targets/types.js';

/** A target whose pause takes a while to settle (as a SIGSTOP waits for state T), logging each step. */
function slowTarget(log: string[]): Target {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    nodes: ['n1', 'n2'],
    pause: async (n: string) => {
      log.push(`pause ${n} sent`);
      await sleep(50);
      log.push(`pause ${n} settled`);
    },
    resume: async (n: string) => {
      log.push(`resume ${n}`);
    },
  } as unknown as Target;
}

describe('Nemesis.healAll', () => {
  it('waits for a start under way, then undoes it', async () => {
    const log: string[] = [];
    const nemesis = new Nemesis([pauseFault(slowTarget(log))]);
    const started = nemesis.perform('start-pause', ['n1', 'n2']);
    await new Promise((r) => setTimeout(r, 10)); // the run ends mid-start
    const unhealed = await nemesis.healAll();
    expect(unhealed).toEqual([]);
    expect(await started).toEqual(['n1', 'n2']);
    expect(log).toEqual(['pause n1 sent', 'pause n1 settled', 'pause n2 sent', 'pause n2 settled', 'resume n1', 'resume n2']);
    expect(nemesis.active()).toEqual([]);
  });

  it('a start that fails midway is still undone where it began', async () => {
    const log: string[] = [];
    const target = slowTarget(log);
    target.pause = async (n: string) => {
      log.push(`pause ${n}`);
      if (n === 'n2') throw new Error('no such process');
    };
    const nemesis = new Nemesis([pauseFault(target)]);
    await expect(nemesis.perform('start-pause', ['n1', 'n2'])).rejects.toThrow(/no such process/);
    expect(nemesis.active()).toEqual(['pause']);
    expect(await nemesis.healAll()).toEqual([]);
    expect(log).toEqual(['pause n1', 'pause n2', 'resume n1', 'resume n2']);
  });
});
