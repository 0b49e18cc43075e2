// What each signal during `faultline test` asks for. The first request stops the run gracefully
// (heal, stop the nodes, check what was recorded), the second quits at once after an emergency
// heal, the third exits without waiting for anything.
//
// A hang-up is never a request of its own: it comes with the request that ended the terminal's
// session leader (a SIGTERM to the job's group ends npm, the terminal hangs up). Both are pending
// together when faultline is not scheduled in between, and the kernel delivers the lower-numbered
// SIGHUP first, so a hang-up may precede that request as well as follow it: it starts the graceful
// stop when nothing else has, and the request that comes with it is not counted as a second one.

export type StopAction = 'stop' | 'quit' | 'exit' | 'none';

export interface StopRequests {
  /** What to do on `sig`. */
  on(sig: NodeJS.Signals): StopAction;
}

export function stopRequests(): StopRequests {
  let stopping = false;
  let requests = 0;
  return {
    on(sig) {
      if (sig === 'SIGHUP') {
        if (stopping) return 'none';
        stopping = true;
        return 'stop';
      }
      requests++;
      if (requests === 1) {
        if (stopping) return 'none';
        stopping = true;
        return 'stop';
      }
      return requests === 2 ? 'quit' : 'exit';
    },
  };
}
