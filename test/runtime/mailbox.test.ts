import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mailbox, NO_MESSAGE, type MailboxMark } from '../../runtime/internal.js';

describe('mailbox', () => {
  it('mailbox - sends land in the public queue; a receive moves them once it has scanned the private queue', () => {
    const mb = new Mailbox();
    mb.push('a');
    mb.push('b');
    expect(mb.publicLength).toBe(2);
    mb.beginReceive();
    expect(mb.take((m) => m === 'b')).toBe('b');
    expect(mb.publicLength).toBe(0); // moved to the private queue by the scan
    mb.push('c');
    expect(mb.publicLength).toBe(1);
    mb.beginReceive();
    // 'a' is found in the private queue: the public queue is not touched.
    expect(mb.take((m) => m === 'a')).toBe('a');
    expect(mb.publicLength).toBe(1);
    expect(mb.snapshot()).toEqual(['c']);
  });

  it('mailbox - a waiting receive tests each message once across wake-ups', () => {
    const mb = new Mailbox();
    const tested: number[] = [];
    const match = (m: number) => {
      tested.push(m);
      return m === 99;
    };
    for (let i = 0; i < 10; i++) mb.push(i);
    mb.beginReceive();
    expect(mb.take(match)).toBe(NO_MESSAGE);
    mb.push(10);
    expect(mb.take(match)).toBe(NO_MESSAGE);
    mb.push(99);
    expect(mb.take(match)).toBe(99);
    expect(tested).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99]);
  });

  it('mailbox - matches a list model under random pushes, selective takes, marks and flushes', () => {
    type Op =
      | { op: 'push'; v: number }
      | { op: 'take'; mod: number; useMark: boolean }
      | { op: 'mark' }
      | { op: 'flush'; mod: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('push' as const), v: fc.integer({ min: 0, max: 1000 }) }) },
      { weight: 4, arbitrary: fc.record({ op: fc.constant('take' as const), mod: fc.integer({ min: 1, max: 7 }), useMark: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('mark' as const) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const), mod: fc.integer({ min: 2, max: 9 }) }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const mb = new Mailbox();
        // Model: a list of [arrival, value]; a mark is the arrival count when it was made.
        let model: [number, number][] = [];
        let arrivals = 0;
        let mark: MailboxMark | undefined;
        let markArrival = 0;
        for (const o of ops) {
          if (o.op === 'push') {
            // Unique values: a take must be attributable to one message.
            const v = arrivals * 1000 + o.v;
            mb.push(v);
            model.push([arrivals++, v]);
          } else if (o.op === 'mark') {
            mark = mb.mark();
            markArrival = arrivals;
          } else if (o.op === 'flush') {
            const removed = mb.removeAll((m: number) => m % o.mod === 0);
            const before = model.length;
            model = model.filter(([, v]) => v % o.mod !== 0);
            expect(removed).toBe(before - model.length);
          } else {
            const pred = (m: number) => m % o.mod === 0;
            const since = o.useMark ? mark : undefined;
            mb.beginReceive(since);
            const got = mb.take(pred);
            // Without a mark the answer is the first match. With one, the runtime may start
            // scanning before the mark (it is conservative, never later), so any match up to the
            // first one after the mark is a right answer.
            const first = model.findIndex(([, v]) => pred(v));
            const firstAfter = model.findIndex(([a, v]) => a >= markArrival && pred(v));
            if (got === NO_MESSAGE) {
              expect(since ? firstAfter : first).toBe(-1);
            } else if (!since) {
              expect(got).toBe(model[first]![1]);
              model.splice(first, 1);
            } else {
              const limit = firstAfter === -1 ? model.length - 1 : firstAfter;
              const idx = model.findIndex(([, v], i) => i <= limit && v === got);
              expect(idx).toBeGreaterThanOrEqual(0);
              expect(pred(got as number)).toBe(true);
              model.splice(idx, 1);
            }
          }
          expect(mb.length).toBe(model.length);
        }
        expect(mb.snapshot()).toEqual(model.map(([, v]) => v));
      }),
      { numRuns: 300 },
    );
  });
});
