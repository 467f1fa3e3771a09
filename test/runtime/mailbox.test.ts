import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mailbox, NO_MESSAGE, Pattern, type MailboxMark } from '../../runtime/internal.js';

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

  it('mailbox - a message reaching an empty mailbox (kept out of its arrays) is counted, listed, tested once and ordered', () => {
    const mb = new Mailbox();
    const tested: string[] = [];
    const only = (want: string) => (m: string) => {
      tested.push(m);
      return m === want;
    };
    mb.push('a');
    expect(mb.length).toBe(1);
    expect(mb.publicLength).toBe(1);
    expect(mb.snapshot()).toEqual(['a']);
    mb.beginReceive();
    expect(mb.take(only('b'))).toBe(NO_MESSAGE);
    mb.push('b');
    expect(mb.take(only('b'))).toBe('b');
    expect(tested).toEqual(['a', 'b']); // 'a' was not tested again
    expect(mb.snapshot()).toEqual(['a']);
    mb.beginReceive();
    expect(mb.take(undefined)).toBe('a');
    expect(mb.length).toBe(0);
    // Taken at once, many times over: the numbering stays right for marks made in between.
    for (let i = 0; i < 5; i++) {
      mb.push(`x${i}`);
      mb.beginReceive();
      expect(mb.take(undefined)).toBe(`x${i}`);
    }
    mb.push('old');
    const mark = mb.mark();
    mb.push('new');
    mb.beginReceive(mark);
    expect(mb.take(undefined)).toBe('new');
    mb.beginReceive();
    expect(mb.take(undefined)).toBe('old');
    // A mark made after the waiting message arrived: the receive starts past it.
    mb.push('before');
    const later = mb.mark();
    mb.beginReceive(later);
    expect(mb.take(undefined)).toBe(NO_MESSAGE);
    mb.push('after');
    expect(mb.take(undefined)).toBe('after');
    mb.beginReceive();
    expect(mb.take(undefined)).toBe('before');
    // A second message moves the first into the array, behind nothing: order is kept.
    mb.push(1);
    mb.push(2);
    mb.push(3);
    expect(mb.publicLength).toBe(3);
    expect(mb.snapshot()).toEqual([1, 2, 3]);
    mb.beginReceive();
    expect([mb.take(undefined), mb.take(undefined), mb.take(undefined)]).toEqual([1, 2, 3]);
    // A pattern receive takes it where it is and moves its memo past what it tested.
    const p = Pattern.compile({ t: 1 })!;
    mb.push({ t: 0 });
    mb.beginPatternReceive(p);
    expect(mb.take(p)).toBe(NO_MESSAGE);
    mb.push({ t: 1 });
    expect(mb.take(p)).toEqual({ t: 1 });
    mb.push({ t: 1, n: 2 });
    mb.beginPatternReceive(p);
    expect(mb.take(p)).toEqual({ t: 1, n: 2 });
    mb.beginReceive();
    expect(mb.take(undefined)).toEqual({ t: 0 });
    expect(mb.length).toBe(0);
    mb.push('z');
    mb.clear();
    expect(mb.length).toBe(0);
    expect(mb.snapshot()).toEqual([]);
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

  it('mailbox - a pattern matches plain objects with each key its own and each value ===', () => {
    const p = Pattern.compile({ type: 'reply', n: 1 })!;
    expect(p.matches({ type: 'reply', n: 1 })).toBe(true);
    expect(p.matches({ n: 1, type: 'reply', extra: [1] })).toBe(true);
    expect(p.matches({ type: 'reply', n: '1' })).toBe(false);
    expect(p.matches({ type: 'reply' })).toBe(false);
    expect(p.matches(Object.assign(Object.create({ n: 1 }), { type: 'reply' }))).toBe(false); // inherited
    expect(p.matches(Object.assign([], { type: 'reply', n: 1 }))).toBe(false); // not a plain object
    expect(p.matches(null)).toBe(false);
    expect(p.matches('reply')).toBe(false);
    expect(Pattern.compile({ x: undefined })!.matches({ y: 1 })).toBe(false);
    expect(Pattern.compile({ x: undefined })!.matches({ x: undefined })).toBe(true);
    expect(Pattern.compile({ x: NaN })!.matches({ x: NaN })).toBe(false); // === never holds for NaN
    for (const bad of [{}, { a: {} }, { a: [1] }, { a: () => 0 }, { a: Symbol('s') }, [1], new Map()]) {
      expect(Pattern.compile(bad)).toBeUndefined();
    }
    expect(p.sameAs({ type: 'reply', n: 1 })).toBe(true);
    expect(p.sameAs({ n: 1, type: 'reply' })).toBe(false);
    expect(p.sameAs({ type: 'reply', n: 2 })).toBe(false);
    expect(p.sameAs({ type: 'reply' })).toBe(false);
  });

  it('mailbox - a repeated pattern receive skips the messages it already found not to match', () => {
    const mb = new Mailbox();
    const p = Pattern.compile({ tag: 'reply' })!;
    const tested: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      // Each noise message counts the reads of its tag (the pattern reads it once per test).
      const noise = { tag: 'noise', n: i };
      mb.push(
        new Proxy(noise, {
          get(t, k, r) {
            if (k === 'tag') tested.push(i);
            return Reflect.get(t, k, r);
          },
        }),
      );
    }
    mb.push({ tag: 'reply', n: 1 });
    mb.beginPatternReceive(p);
    expect(mb.take(p)).toEqual({ tag: 'reply', n: 1 });
    expect(tested.length).toBe(100);
    mb.push({ tag: 'reply', n: 2 });
    mb.beginPatternReceive(p);
    expect(mb.take(p)).toEqual({ tag: 'reply', n: 2 });
    // The second receive tested only what arrived after the first one's match.
    expect(tested.length).toBeLessThanOrEqual(101);
    // A function receive still sees every message, in order.
    mb.beginReceive();
    expect(mb.take(() => true)).toMatchObject({ n: 0 });
  });

  it('mailbox - a pattern receive that starts from a later ref mark does not move the memo', () => {
    const mb = new Mailbox();
    const p = Pattern.compile({ t: 1 })!;
    mb.push({ t: 1, id: 'old' });
    const mark = mb.mark();
    mb.push({ t: 1, id: 'new' });
    mb.beginPatternReceive(p, mark);
    expect(p.track).toBe(false);
    expect(mb.take(p)).toEqual({ t: 1, id: 'new' });
    mb.beginPatternReceive(p);
    expect(mb.take(p)).toEqual({ t: 1, id: 'old' });
  });

  it('mailbox - pattern receives (with their memo) agree with a list model among other takes, flushes and compactions', () => {
    type Msg = { t?: number; id: number } | number[];
    type Op =
      | { op: 'push'; t: number; kind: number }
      | { op: 'burst'; n: number; t: number }
      | { op: 'ptake'; t: number; waitPush: number }
      | { op: 'take'; mod: number }
      | { op: 'flush'; t: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), t: fc.integer({ min: 0, max: 3 }), kind: fc.integer({ min: 0, max: 9 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('burst' as const), n: fc.integer({ min: 1, max: 150 }), t: fc.integer({ min: 0, max: 3 }) }) },
      { weight: 5, arbitrary: fc.record({ op: fc.constant('ptake' as const), t: fc.integer({ min: 0, max: 3 }), waitPush: fc.integer({ min: -1, max: 3 }) }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('take' as const), mod: fc.integer({ min: 1, max: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const), t: fc.integer({ min: 0, max: 3 }) }) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const mb = new Mailbox();
        let model: Msg[] = [];
        let ids = 0;
        // As Process keeps it: the last pattern used, reused when the next one is equal.
        let last: Pattern | null = null;
        const make = (t: number, kind: number): Msg => {
          const id = ids++;
          if (kind === 0) return { id }; // no tag
          if (kind === 1) return Object.assign([id], { t }); // not a plain object
          if (kind === 2) return Object.assign(Object.create({ t }) as object, { id }); // inherited tag
          return { t, id };
        };
        const push = (m: Msg) => {
          mb.push(m);
          model.push(m);
        };
        const isT = (m: Msg, t: number) => Object.getPrototypeOf(m) === Object.prototype && Object.hasOwn(m, 't') && (m as { t: number }).t === t;
        for (const o of ops) {
          if (o.op === 'push') push(make(o.t, o.kind));
          else if (o.op === 'burst') for (let i = 0; i < o.n; i++) push(make((o.t + i) % 4, i % 5));
          else if (o.op === 'flush') {
            mb.removeAll((m: Msg) => isT(m, o.t));
            model = model.filter((m) => !isT(m, o.t));
          } else if (o.op === 'take') {
            const pred = (m: Msg) => (Array.isArray(m) ? m[0]! : m.id) % o.mod === 0;
            mb.beginReceive();
            const got = mb.take(pred);
            const i = model.findIndex(pred);
            if (i === -1) expect(got).toBe(NO_MESSAGE);
            else expect(got).toBe(model.splice(i, 1)[0]);
          } else {
            const shape = { t: o.t };
            const p: Pattern = last !== null && last.sameAs(shape) ? last : (last = Pattern.compile(shape)!);
            mb.beginPatternReceive(p);
            let got = mb.take(p);
            if (got === NO_MESSAGE && o.waitPush >= 0) {
              // A waiting receive woken by new messages: it goes on from its save pointer.
              push(make(o.waitPush, 3));
              push(make(o.t, 4));
              got = mb.take(p);
            }
            const i = model.findIndex((m) => isT(m, o.t));
            if (i === -1) expect(got).toBe(NO_MESSAGE);
            else expect(got).toBe(model.splice(i, 1)[0]);
          }
          expect(mb.length).toBe(model.length);
        }
        expect(mb.snapshot()).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});
