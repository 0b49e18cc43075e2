import { expect, it } from 'vitest';
import { stopRequests } from '../cli/stop-requests.js';

const run = (sigs: NodeJS.Signals[]) => {
  const r = stopRequests();
  return sigs.map((s) => r.on(s));
};

it('one Ctrl-C stops, a second quits at once, a third exits', () => {
  expect(run(['SIGINT', 'SIGINT', 'SIGINT'])).toEqual(['stop', 'quit', 'exit']);
  expect(run(['SIGTERM', 'SIGINT'])).toEqual(['stop', 'quit']);
});

it('a hang-up after a request is no second request', () => {
  expect(run(['SIGTERM', 'SIGHUP'])).toEqual(['stop', 'none']);
  expect(run(['SIGTERM', 'SIGHUP', 'SIGINT'])).toEqual(['stop', 'none', 'quit']);
});

// The kernel delivers pending signals lowest number first: a SIGTERM to the job's group that ends
// npm, and the terminal's hang-up that follows, may reach faultline as SIGHUP then SIGTERM.
it('a hang-up before the request it came with stops, and that request is not counted as a second', () => {
  expect(run(['SIGHUP', 'SIGTERM'])).toEqual(['stop', 'none']);
  expect(run(['SIGHUP', 'SIGTERM', 'SIGINT'])).toEqual(['stop', 'none', 'quit']);
  expect(run(['SIGHUP', 'SIGHUP'])).toEqual(['stop', 'none']);
});
