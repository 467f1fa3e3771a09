import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashRing, stableHash } from '../../broker/metadata/hash-ring.js';

const topicNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

// Shard ids and topic-name prefixes drawn from the characters topic names may use.
const idChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_.-'.split(''));
const ident = fc.string({ unit: idChar, minLength: 1, maxLength: 12 });
const shardSet = (n: number) => fc.uniqueArray(ident, { minLength: n, maxLength: n });

describe('hash ring', () => {
  it('hash ring - the hash is FNV-1a over UTF-8 plus a finaliser, equal to a Buffer-based reference', () => {
    const reference = (text: string) => {
      let h = 0x811c9dc5;
      for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return h >>> 0;
    };
    // Lone surrogates encode as U+FFFD in Buffer; topic names never hold them, so use well-formed text.
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      expect(stableHash(text)).toBe(reference(text));
    }));
    // Pinned, so a change of the hash (which would move every topic) fails loudly.
    expect(stableHash('orders')).toBe(2069166408);
  });

  it('hash ring - owners do not depend on insertion order', () => {
    fc.assert(
      fc.property(shardSet(5), ident, (shards, prefix) => {
        const a = new HashRing({ nodes: shards });
        const b = new HashRing({ nodes: [...shards].reverse() });
        for (const t of topicNames(prefix, 200)) expect(a.owner(t)).toBe(b.owner(t));
      }),
      { numRuns: 20 },
    );
  });

  it('hash ring - 8 shards share 10,000 topics within ±20% of even', () => {
    fc.assert(
      fc.property(shardSet(8), ident, (shards, prefix) => {
        const ring = new HashRing({ nodes: shards });
        const counts = new Map(shards.map((s) => [s, 0]));
        for (const t of topicNames(prefix, 10_000)) counts.set(ring.owner(t), counts.get(ring.owner(t))! + 1);
        const even = 10_000 / 8;
        for (const [shard, count] of counts) {
          expect(Math.abs(count - even) / even, `shard ${shard} owns ${count}`).toBeLessThanOrEqual(0.2);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('hash ring - adding a shard moves about 1/N of topics, all onto the new shard', () => {
    fc.assert(
      fc.property(shardSet(9), ident, (shards, prefix) => {
        const before = new HashRing({ nodes: shards.slice(0, 8) });
        const after = new HashRing({ nodes: shards });
        const added = shards[8];
        let moved = 0;
        for (const t of topicNames(prefix, 10_000)) {
          const was = before.owner(t);
          const now = after.owner(t);
          if (was !== now) {
            moved++;
            expect(now).toBe(added);
          }
        }
        // Ideal is 1/9 of the topics; allow the same ±20% as for balance.
        const ideal = 10_000 / 9;
        expect(Math.abs(moved - ideal) / ideal).toBeLessThanOrEqual(0.2);
      }),
      { numRuns: 30 },
    );
  });

  it('hash ring - removing a shard moves only its own topics', () => {
    fc.assert(
      fc.property(shardSet(6), fc.nat(5), ident, (shards, which, prefix) => {
        const ring = new HashRing({ nodes: shards });
        const before = topicNames(prefix, 2000).map((t) => ring.owner(t));
        expect(ring.removeNode(shards[which])).toBe(true);
        topicNames(prefix, 2000).forEach((t, i) => {
          if (before[i] !== shards[which]) expect(ring.owner(t)).toBe(before[i]);
          else expect(ring.owner(t)).not.toBe(shards[which]);
        });
      }),
      { numRuns: 20 },
    );
  });

  it('hash ring - misuse throws at once; repeated add/remove are results', () => {
    const ring = new HashRing({ virtualNodes: 4 });
    expect(() => ring.owner('x')).toThrow(/no nodes/);
    expect(ring.addNode('a')).toBe(true);
    expect(ring.addNode('a')).toBe(false);
    expect(ring.owner('x')).toBe('a');
    expect(ring.removeNode('b')).toBe(false);
    expect(ring.nodes).toEqual(['a']);
    expect(() => new HashRing({ virtualNodes: 0 })).toThrow(/positive integer/);
    expect(() => ring.addNode('')).toThrow(/non-empty/);
  });
});
