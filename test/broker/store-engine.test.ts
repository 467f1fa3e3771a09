/**
 * The KvEngine contract over both engines against a reference model (a Map, sorted on
 * demand): point reads, ordered ranges with limits, rollback of a throwing write.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareKeys, KEY_MAX, prefixEnd, type Key, type KvEngine, type KvTx } from '../../broker/store/engine.js';
import { LmdbEngine } from '../../broker/store/lmdb-engine.js';
import { MemoryEngine } from '../../broker/store/memory-engine.js';
import { k } from '../../broker/store/schema.js';
import { openStore } from '../../broker/store/index.js';
import { KvMessageStore } from '../../broker/store/kv-store.js';
import { message, subscription, T0, tempDir, topic } from './store-support.js';

const engines: Array<{ name: string; open: () => { engine: KvEngine; cleanup: () => void }; runs: number }> = [
  // Chunks of 4 entries, so splits and emptied chunks happen all the time.
  { name: 'memory', open: () => ({ engine: new MemoryEngine({ chunkSize: 4 }), cleanup: () => {} }), runs: 100 },
  {
    name: 'lmdb',
    open: () => {
      const dir = tempDir();
      return { engine: new LmdbEngine(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
    runs: 10,
  },
];

// Keys shaped like the store's: a table, then strings and numbers.
const keyArb: fc.Arbitrary<Key> = fc.tuple(
  fc.constantFrom('A', 'B', 'BC'),
  fc.constantFrom('x', 'x.y', 'y', 'sub:1'),
  fc.integer({ min: 0, max: 2000 }),
);
type Op = { kind: 'put'; key: Key; value: number } | { kind: 'remove'; key: Key } | { kind: 'fail'; key: Key };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), key: keyArb }) },
);

// Few keys, so concurrent writes overwrite each other's and their order shows in the result.
const fewKeysArb: fc.Arbitrary<Key> = fc.tuple(fc.constant('A'), fc.integer({ min: 0, max: 9 }));
const fewKeysOpArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fewKeysArb, value: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: fewKeysArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), key: fewKeysArb }) },
);

describe.each(engines)('store engine ($name)', ({ open, runs }) => {
  it('store engine - reads and ordered ranges match a reference model; a throwing write changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 40 }), { maxLength: 8 }), fc.constantFrom('A', 'B'), async (batches, table) => {
        const { engine, cleanup } = open();
        try {
          const model = new Map<string, { key: Key; value: number }>();
          for (const batch of batches) {
            const failing = batch.some((op) => op.kind === 'fail');
            const write = engine.write((tx) => {
              for (const op of batch) {
                if (op.kind === 'put') tx.put(op.key, op.value);
                else if (op.kind === 'remove') tx.remove(op.key);
                else throw new Error('planned');
              }
              return 'done';
            });
            if (failing) {
              await expect(write).rejects.toThrow('planned');
            } else {
              expect(await write).toBe('done');
              for (const op of batch) {
                if (op.kind === 'put') model.set(JSON.stringify(op.key), { key: op.key, value: op.value });
                else if (op.kind === 'remove') model.delete(JSON.stringify(op.key));
              }
            }
          }
          const sorted = [...model.values()].sort((a, b) => compareKeys(a.key, b.key));
          engine.read((tx) => {
            for (const { key, value } of sorted) expect(tx.get(key)).toBe(value);
            const expected = sorted.filter((e) => e.key[0] === table);
            expect(tx.range([table], prefixEnd([table]))).toEqual(expected);
            expect(tx.range([table], prefixEnd([table]), 3)).toEqual(expected.slice(0, 3));
            expect(tx.range([table, 'x'], prefixEnd([table, 'x']))).toEqual(expected.filter((e) => e.key[1] === 'x'));
          });
        } finally {
          await engine.close();
          cleanup();
        }
      }),
      { numRuns: runs },
    );
  });

  // Writes issued together share one transaction on lmdb (a group); a throwing write must
  // still be rolled back alone and the others applied in the order they were issued.
  it('store engine - concurrent writes apply in issue order; a throwing one among them changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fewKeysOpArb, { maxLength: 12 }), { minLength: 1, maxLength: 24 }), async (batches) => {
        const { engine, cleanup } = open();
        try {
          const writes = batches.map((batch, i) =>
            engine.write((tx) => {
              for (const op of batch) {
                if (op.kind === 'put') tx.put(op.key, op.value);
                else if (op.kind === 'remove') tx.remove(op.key);
                else throw new Error(`planned ${i}`);
              }
              return 'done';
            }),
          );
          const settled = await Promise.allSettled(writes);
          const model = new Map<string, number>();
          batches.forEach((batch, i) => {
            const failing = batch.some((op) => op.kind === 'fail');
            const result = settled[i];
            if (failing) {
              expect(result.status).toBe('rejected');
              expect((result as PromiseRejectedResult).reason).toEqual(new Error(`planned ${i}`));
              return;
            }
            expect(result).toEqual({ status: 'fulfilled', value: 'done' });
            for (const op of batch) {
              if (op.kind === 'put') model.set(JSON.stringify(op.key), op.value);
              else if (op.kind === 'remove') model.delete(JSON.stringify(op.key));
            }
          });
          engine.read((tx) => {
            for (const batch of batches) {
              for (const op of batch) expect([op.key, tx.get(op.key)]).toEqual([op.key, model.get(JSON.stringify(op.key))]);
            }
          });
        } finally {
          await engine.close();
          cleanup();
        }
      }),
      { numRuns: runs },
    );
  });
});

describe('store layout', () => {
  it('store - data written with another key layout is refused at open, not misread', async () => {
    const dir = tempDir();
    try {
      const store = openStore({ backend: 'lmdb', path: dir });
      await store.createTopic(topic('t'));
      await store.close();
      const same = openStore({ backend: 'lmdb', path: dir });
      expect(await same.getTopic('t')).toEqual(topic('t'));
      await same.close();
      // As the first layout left it (topics, no layout row), and as a later one would.
      for (const rewrite of [(tx: KvTx) => tx.remove(k.layout()), (tx: KvTx) => tx.put(k.layout(), 99)]) {
        const engine = new LmdbEngine(dir);
        await engine.write(rewrite);
        await engine.close();
        expect(() => openStore({ backend: 'lmdb', path: dir })).toThrow(/key layout (1|99)\b.*empty data directory/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store rows', () => {
  it('store - once every subscription is done with its messages, no message, log, lease or delivery row is left', async () => {
    const engine = new MemoryEngine({ chunkSize: 4 });
    const store = new KvMessageStore(engine);
    await store.createTopic(topic('t'));
    const cursorA = subscription('t', { maxAttempts: 1 });
    const cursorB = subscription('t', { protocol: 'websocket' });
    const filtered = subscription('t', { filter: 'x' });
    const hook = subscription('t', { protocol: 'http' });
    for (const s of [cursorA, cursorB, filtered, hook]) await store.createSubscription(s);
    await store.activateSubscription(hook.id, T0);
    const lone = subscription('u');
    await store.createTopic(topic('u'));
    await store.createSubscription(lone);
    await store.publish('t', [message({ routingKey: 'x' }), message({ routingKey: 'x' }), message({ routingKey: 'y' })], T0);
    await store.publish('u', [message(), message()], T0);
    const lanes = [
      { kind: 'subscription' as const, subscriptionId: cursorA.id }, { kind: 'subscription' as const, subscriptionId: cursorB.id },
      { kind: 'subscription' as const, subscriptionId: filtered.id }, { kind: 'push' as const }, { kind: 'subscription' as const, subscriptionId: lone.id },
    ];
    // One of cursorA's dies and is redriven; one of cursorB's is nacked first; the rest acked,
    // out of order.
    const [dies] = await store.claimDue({ lane: lanes[0], now: T0, max: 1 });
    expect(await store.fail(cursorA.id, dies.ackId, { error: 'x', retryAt: T0, now: T0 })).toBe('dead');
    await store.redrive(cursorA.id, T0);
    const [nacked] = await store.claimDue({ lane: lanes[1], now: T0, max: 1 });
    await store.fail(cursorB.id, nacked.ackId, { error: 'nack', retryAt: T0, now: T0 });
    for (const lane of lanes) {
      const leases = await store.claimDue({ lane, now: T0, max: 10 });
      for (const l of [...leases].reverse()) expect(await store.ack(l.subscriptionId, [l.ackId], T0)).toEqual(['acked']);
    }
    await store.sweep({ now: T0 + 1, ackedBefore: T0 + 1 });
    const tables = engine.read((tx) => new Set(tx.range([], [KEY_MAX]).map((e) => e.key[0])));
    expect([...tables].sort()).toEqual(['C', 'CU', 'S', 'ST', 'T', 'V']);
    await store.close();
  });
});
