// A fault the nemesis can start and stop (DESIGN.md, "Core types"). `stop` undoes everything
// `start` did since the last stop, so a run can always heal.

export interface Fault {
  name: string;
  /** Starts the fault on what `value` names (e.g. nodes); resolves with what was actually done. */
  start(value: unknown): Promise<unknown>;
  /** Undoes every start since the last stop; resolves with what was undone. Safe when nothing is active. */
  stop(): Promise<unknown>;
  /** true, or why this fault cannot run here. */
  available(): Promise<true | string>;
  /** True while something started is not yet undone. */
  active(): boolean;
}
