// report/fault-intervals.ts: nemesis ops → the intervals a run report shades.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Op } from '../histories/op.js';
import { faultIntervals, lastTime, parseFaultF } from '../report/fault-intervals.js';

let next = 0;
const nem = (type: Op['type'], f: string, time: number | undefined, value: unknown = null, extra: Partial<Op> = {}): Op => ({
  index: next++, type, process: 'nemesis', f, value, ...(time === undefined ? {} : { time }), ...extra,
});
const client = (type: Op['type'], process: number, f: string, time: number): Op => ({ index: next++, type, process, f, value: null, time });
const s = (x: number) => x * 1e9;

describe('parseFaultF', () => {
  it('names the fault of start-X / stop-X, and Jepsen bare start / stop as "fault"', () => {
    expect(parseFaultF('start-partition')).toEqual({ kind: 'start', fault: 'partition' });
    expect(parseFaultF('stop-clock-skew')).toEqual({ kind: 'stop', fault: 'clock-skew' });
    expect(parseFaultF('start')).toEqual({ kind: 'start', fault: 'fault' });
    expect(parseFaultF('stop')).toEqual({ kind: 'stop', fault: 'fault' });
    expect(parseFaultF('kill')).toBeNull();
    expect(parseFaultF('start-')).toBeNull();
    expect(parseFaultF('restart-x')).toBeNull();
  });
});

describe('faultIntervals', () => {
  it("uses the completion's time of faultline's info/info records", () => {
    const ops = [
      client('invoke', 0, 'read', s(0)),
      nem('info', 'start-partition', s(1), 'majority'),
      client('ok', 0, 'read', s(1.5)),
      nem('info', 'start-partition', s(1.2), { cut: ['n1'] }),
      nem('info', 'stop-partition', s(3)),
      nem('info', 'stop-partition', s(3.1), 'healed'),
      client('invoke', 1, 'write', s(4)),
    ];
    const { intervals, events } = faultIntervals(ops);
    expect(events).toEqual([]);
    expect(intervals).toHaveLength(1);
    expect(intervals[0]).toMatchObject({ fault: 'partition', start: s(1.2), end: s(3.1), open: false, value: { cut: ['n1'] } });
    expect(intervals[0].startIndex).toBe(ops[3].index);
    expect(intervals[0].stopIndex).toBe(ops[5].index);
  });

  it("pairs Jepsen's invoke/info records, keeping the request's value when the completion has none", () => {
    const ops = [
      nem('invoke', 'start', s(1), 'isolate n1'),
      nem('info', 'start', s(1.4)),
      nem('invoke', 'stop', s(5)),
      nem('info', 'stop', s(5.2), 'fully connected'),
    ];
    const { intervals } = faultIntervals(ops);
    expect(intervals).toEqual([
      { fault: 'fault', start: s(1.4), end: s(5.2), open: false, startIndex: ops[1].index, stopIndex: ops[3].index, value: 'isolate n1' },
    ]);
  });

  it('runs a fault never stopped to the end of the history', () => {
    const ops = [client('invoke', 0, 'read', s(0)), nem('info', 'start-kill', s(2), 'n3'), client('ok', 0, 'read', s(9))];
    const { intervals } = faultIntervals(ops);
    expect(intervals).toEqual([{ fault: 'kill', start: s(2), end: s(9), open: true, startIndex: ops[1].index, value: 'n3' }]);
    expect(faultIntervals(ops, s(20)).intervals[0].end).toBe(s(20));
  });

  it('ignores a stop with nothing started, and a second start while the fault is on', () => {
    const ops = [
      nem('info', 'stop-pause', s(0.5)),
      nem('info', 'start-pause', s(1)),
      nem('info', 'start-kill', s(1.5)),
      nem('info', 'start-pause', s(2)), // not the completion of the first: another action came between
      nem('info', 'stop-pause', s(4)),
      nem('info', 'stop-kill', s(5)),
    ];
    const { intervals } = faultIntervals(ops);
    expect(intervals.map((iv) => [iv.fault, iv.start / 1e9, iv.end / 1e9])).toEqual([
      ['pause', 1, 4],
      ['kill', 1.5, 5],
    ]);
  });

  it('keeps overlapping faults of different kinds apart, ordered by start', () => {
    const ops = [nem('info', 'start-kill', s(3)), nem('info', 'start-partition', s(1)), nem('info', 'stop-kill', s(4)), nem('info', 'stop-partition', s(6))];
    expect(faultIntervals(ops).intervals.map((iv) => iv.fault)).toEqual(['partition', 'kill']);
  });

  it('reports other nemesis actions as instant events, and keeps errors', () => {
    const ops = [
      nem('invoke', 'kill', s(1), 'n2'),
      nem('info', 'kill', s(1.3), 'n2', { error: 'no such process' }),
      nem('info', 'start-partition', s(2), null, { error: 'iptables missing' }),
    ];
    const { intervals, events } = faultIntervals(ops);
    expect(events).toEqual([{ f: 'kill', time: s(1.3), index: ops[1].index, value: 'n2', error: 'no such process' }]);
    expect(intervals[0].error).toBe('iptables missing');
  });

  it('leaves out nemesis ops without a time, and client ops entirely', () => {
    const ops = [nem('info', 'start-partition', undefined), client('invoke', 0, 'start-x', s(1)), client('ok', 0, 'start-x', s(2))];
    expect(faultIntervals(ops)).toEqual({ intervals: [], events: [] });
    expect(faultIntervals([])).toEqual({ intervals: [], events: [] });
    expect(lastTime(ops)).toBe(s(2));
  });

  it('property: intervals are ordered, within [first start, end], at most one open per fault', () => {
    const action = fc.record({
      f: fc.constantFrom('start-a', 'stop-a', 'start-b', 'stop-b', 'start', 'stop', 'kill'),
      dt: fc.integer({ min: 0, max: 1e9 }),
      twice: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        let t = 0;
        const ops: Op[] = [];
        for (const a of actions) {
          t += a.dt;
          ops.push(nem('info', a.f, t));
          // A history's times never go back: the second record of an action comes after the first.
          if (a.twice) ops.push(nem('info', a.f, ++t));
        }
        const end = lastTime(ops);
        const { intervals, events } = faultIntervals(ops);
        const starts = actions.filter((a) => a.f.startsWith('start')).length;
        expect(intervals.length).toBeLessThanOrEqual(starts);
        // (two kills in a row may be one action recorded twice: info/info records cannot tell)
        const kills = actions.filter((a) => a.f === 'kill').length;
        expect(events.length).toBeLessThanOrEqual(kills);
        if (kills > 0) expect(events.length).toBeGreaterThan(0);
        for (let i = 0; i < intervals.length; i++) {
          const iv = intervals[i];
          expect(iv.start).toBeLessThanOrEqual(iv.end);
          expect(iv.end).toBeLessThanOrEqual(end);
          if (i > 0) expect(intervals[i - 1].start).toBeLessThanOrEqual(iv.start);
          if (iv.open) expect(iv.end).toBe(end);
        }
        for (const fault of ['a', 'b', 'fault']) expect(intervals.filter((iv) => iv.fault === fault && iv.open).length).toBeLessThanOrEqual(1);
        // Intervals of one fault never overlap.
        for (const fault of ['a', 'b', 'fault']) {
          const mine = intervals.filter((iv) => iv.fault === fault);
          for (let i = 1; i < mine.length; i++) expect(mine[i - 1].end).toBeLessThanOrEqual(mine[i].start);
        }
      }),
      { numRuns: 300 },
    );
  });
});
