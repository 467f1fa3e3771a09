import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../runtime/key-table.js';
import { pidKey } from '../../runtime/scheduler.js';
import { Pid, Ref } from '../../runtime/pid.js';

type Op = { op: 'set' | 'delete' | 'get'; key: number; value: number };

/** Keys like the runtime's: small serials on scheduler 0, and refs/pids of other schedulers and nodes (above 2^32). */
const key = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.tuple(fc.nat(3), fc.nat(5), fc.nat(40)).map(([node, scheduler, serial]) => pidKey(new Ref(node, scheduler, serial))),
  fc.tuple(fc.nat(2047), fc.nat(1023), fc.nat(2 ** 32 - 1)).map(([node, scheduler, serial]) => pidKey(new Pid(node, scheduler, serial))),
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
