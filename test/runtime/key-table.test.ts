import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../runtime/key-table.js';
import { pidKey, SCHEDULER_IDS, SERIAL_LIMIT } from '../../runtime/scheduler.js';
import { Pid, Ref } from '../../runtime/pid.js';

type Op = { op: 'set' | 'delete' | 'get'; key: number; value: number };

/** Keys like the runtime's: small serials on scheduler 0, and refs/pids of other schedulers, serials up to the limit. */
const key = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.tuple(fc.nat(5), fc.nat(40)).map(([scheduler, serial]) => pidKey(new Ref(0, scheduler, serial))),
  fc.tuple(fc.nat(SCHEDULER_IDS - 1), fc.nat(SERIAL_LIMIT - 1)).map(([scheduler, serial]) => pidKey(new Pid(0, scheduler, serial))),
);
/** Operations on a small pool of keys, so deletes hit live entries and probe runs form. */
const program = fc.uniqueArray(key, { minLength: 1, maxLength: 24 }).chain((pool) =>
  fc.array(
    fc.record({ op: fc.constantFrom('set', 'set', 'delete', 'get'), key: fc.constantFrom(...pool), value: fc.integer() }) as fc.Arbitrary<Op>,
    { maxLength: 300 },
  ),
);

describe('key table - agrees with a Map', () => {
  it('key table - random sets, deletes and gets agree with a Map model (property)', () => {
    fc.assert(
      fc.property(program, (ops) => {
        const table = new KeyTable<number>();
        const model = new Map<number, number>();
        for (const { op: kind, key: k, value } of ops) {
          if (kind === 'set') {
            table.set(k, value);
            model.set(k, value);
          } else if (kind === 'delete') {
            expect(table.delete(k)).toBe(model.delete(k));
          } else {
            expect(table.get(k)).toBe(model.get(k));
            expect(table.has(k)).toBe(model.has(k));
          }
          expect(table.size).toBe(model.size);
          for (const [k, v] of model) expect(table.get(k)).toBe(v);
        }
        // Every key still there is found, and nothing else is.
        for (const [k, v] of model) expect(table.get(k)).toBe(v);
        const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
        expect(sorted(table.keyList())).toEqual(sorted([...model.keys()]));
        expect(sorted(table.values())).toEqual(sorted([...model.values()]));
        expect(table.entries().sort((a, b) => a[0] - b[0])).toEqual([...model].sort((a, b) => a[0] - b[0]));
      }),
      { numRuns: 500 },
    );
  });

  it('key table - one entry added and removed per request, 20,000 times, beside a resident entry', () => {
    const table = new KeyTable<string>();
    table.set(7, 'resident');
    for (let i = 0; i < 20_000; i++) {
      const k = 1_000 + i * 4096;
      table.set(k, 'r');
      expect(table.get(k)).toBe('r');
      expect(table.delete(k)).toBe(true);
    }
    expect(table.size).toBe(1);
    expect(table.get(7)).toBe('resident');
    expect(table.entries()).toEqual([[7, 'resident']]);
  });
});

describe('pid key - exact for every pid and ref a system makes', () => {
  const ids = fc.tuple(fc.nat(SCHEDULER_IDS - 1), fc.oneof(fc.nat(2 ** 33), fc.integer({ min: SERIAL_LIMIT - 2 ** 33, max: SERIAL_LIMIT - 1 })));
  /** Two ids, often d schedulers and d · 2^32 serials apart (where the old layout, scheduler · 2^32 + serial, made them meet). */
  const pairs = fc.oneof(
    fc.tuple(ids, ids),
    fc.tuple(ids, fc.integer({ min: 1, max: 64 })).map(([[s, n], d]): [number, number][] => [
      [s, n],
      [Math.min(s + d, SCHEDULER_IDS - 1), Math.max(0, n - d * 2 ** 32)],
    ]),
  );

  it('pid key - one-to-one and a safe integer below 2^53 for node 0, schedulers < SCHEDULER_IDS, serials < SERIAL_LIMIT (property)', () => {
    fc.assert(
      fc.property(pairs, ([[s1, n1], [s2, n2]]) => {
        const a = pidKey(new Pid(0, s1, n1));
        const b = pidKey(new Pid(0, s2, n2));
        expect(Number.isSafeInteger(a) && a < 2 ** 53).toBe(true);
        expect(a === b).toBe(s1 === s2 && n1 === n2);
      }),
      { numRuns: 2_000 },
    );
  });

  it('pid key - serials past 2^32 no longer meet the next scheduler\'s (the old layout: sched·2^32 + serial)', () => {
    expect(pidKey(new Pid(0, 1, 2 ** 32 + 5))).not.toBe(pidKey(new Pid(0, 2, 5)));
    expect(pidKey(new Ref(0, 0, 2 ** 33 + 5))).not.toBe(pidKey(new Ref(0, 2, 5)));
    // A pid of no actor of the system (another node, a scheduler id past the limit) keys at 2^53 or more.
    expect(pidKey(new Pid(1, 0, 0))).toBeGreaterThanOrEqual(2 ** 53);
    expect(pidKey(new Pid(0, SCHEDULER_IDS, 0))).toBeGreaterThanOrEqual(2 ** 53);
  });
});
