import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Process } from '../../runtime/process.js';
import { PROCESS_TABLE_PAGE, ProcessTable } from '../../runtime/process-table.js';
import { SERIAL_LIMIT } from '../../runtime/scheduler.js';

/** Stand-ins for processes: the table only stores and returns them. */
const proc = (serial: number) => ({ serial }) as unknown as Process;

type Op = { op: 'spawn'; skip: number } | { op: 'adopt'; back: number } | { op: 'exit'; pick: number } | { op: 'get'; back: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('spawn' as const), skip: fc.oneof(fc.constant(0), fc.nat(3 * PROCESS_TABLE_PAGE)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('adopt' as const), back: fc.nat(4 * PROCESS_TABLE_PAGE) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('exit' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), back: fc.nat(4 * PROCESS_TABLE_PAGE) }) },
);

describe('process table', () => {
  it('process table - spawns in serial order, adoptions out of order and exits agree with a Map (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: SERIAL_LIMIT - 10_000 }), fc.array(opArb, { maxLength: 400 }), (start, ops) => {
        const table = new ProcessTable();
        const model = new Map<number, Process>();
        let next = start;
        for (const o of ops) {
          if (o.op === 'spawn') {
            next += o.skip;
            const p = proc(next);
            table.set(next, p);
            model.set(next, p);
            next++;
          } else if (o.op === 'adopt') {
            // A serial handed out earlier by another thread, arriving late.
            const serial = next - 1 - o.back;
            if (serial < 1 || model.has(serial)) continue;
            const p = proc(serial);
            table.set(serial, p);
            model.set(serial, p);
          } else if (o.op === 'exit') {
            const live = [...model.keys()];
            const serial = live.length === 0 ? next : live[o.pick % live.length]!;
            expect(table.delete(serial)).toBe(model.delete(serial));
            expect(table.delete(serial)).toBe(false);
          } else {
            const serial = next - 1 - o.back;
            expect(table.get(serial)).toBe(model.get(serial));
          }
          expect(table.size).toBe(model.size);
        }
        for (const [serial, p] of model) expect(table.get(serial)).toBe(p);
        // Every live one, each once; in serial order, as they were spawned, when nothing was adopted.
        const listed = table.values();
        expect(new Set(listed)).toEqual(new Set(model.values()));
        expect(listed.length).toBe(model.size);
        if (!ops.some((o) => o.op === 'adopt')) expect(listed).toEqual([...model.values()]);
      }),
      { numRuns: 300 },
    );
  });

  it('process table - a page emptied and made again, and neighbouring pages, keep their own actors', () => {
    const table = new ProcessTable();
    const a = proc(PROCESS_TABLE_PAGE - 1);
    const b = proc(PROCESS_TABLE_PAGE);
    table.set(PROCESS_TABLE_PAGE - 1, a);
    table.set(PROCESS_TABLE_PAGE, b);
    expect(table.get(PROCESS_TABLE_PAGE - 1)).toBe(a);
    expect(table.get(PROCESS_TABLE_PAGE)).toBe(b);
    expect(table.get(2 * PROCESS_TABLE_PAGE - 1)).toBeUndefined();
    expect(table.delete(PROCESS_TABLE_PAGE - 1)).toBe(true);
    expect(table.get(PROCESS_TABLE_PAGE - 1)).toBeUndefined();
    expect(table.get(0)).toBeUndefined();
    const c = proc(1);
    table.set(1, c);
    expect(table.get(1)).toBe(c);
    expect(table.get(PROCESS_TABLE_PAGE)).toBe(b);
    expect(table.size).toBe(2);
    // Serials near the limit: pages by division, not 32-bit shifts.
    const high = SERIAL_LIMIT - 1;
    const d = proc(high);
    table.set(high, d);
    expect(table.get(high)).toBe(d);
    expect(table.get(high - PROCESS_TABLE_PAGE * 2 ** 32)).toBeUndefined();
    expect(table.values()).toEqual([b, c, d]);
  });
});
