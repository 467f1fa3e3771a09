/**
 * The ordered key-value engine under `KvMessageStore`: the only part that differs between
 * the memory and lmdb backends.
 *
 *   KvMessageStore (all broker logic: fan-out, leases, counters)
 *        │ read(fn) — a consistent snapshot, synchronous
 *        │ write(fn) — fn runs alone, atomically; the promise resolves once durable
 *        ▼
 *   MemoryEngine | LmdbEngine
 *
 * Keys are tuples ordered element by element (numbers before strings, a prefix before its
 * extensions) — the order lmdb gives array keys. The first element names the table.
 */

export type KeyPart = string | number;
export type Key = readonly KeyPart[];

export interface KvEntry<T> {
  readonly key: Key;
  readonly value: T;
}

/** Reads and writes inside one transaction. `range` returns a materialised array, so callers
 * may write to the keys they are iterating over. */
export interface KvTx {
  get<T>(key: Key): T | undefined;
  put(key: Key, value: unknown): void;
  remove(key: Key): void;
  /** Entries with start ≤ key < end, ascending, at most `limit`. */
  range<T>(start: Key, end: Key, limit?: number): KvEntry<T>[];
}

/**
 * When a write's promise resolves. `durable`: once flushed to disk, so it survives a power cut
 * (what a publish must wait for). `committed`: once committed, so every later read sees it and
 * a crash of this process does not lose it, but a power cut just after may (the store uses it
 * for delivery state changes, which at-least-once delivery can afford to lose: see kv-store.ts).
 */
export type Durability = 'durable' | 'committed';

export interface KvEngine {
  readonly name: string;
  /** Runs `fn` on a snapshot; `put`/`remove` are not allowed in it. */
  read<T>(fn: (tx: KvTx) => T): T;
  /**
   * Runs `fn` in a write transaction and resolves with its result once the transaction is
   * durable (or only committed, when asked). `fn` must be synchronous. If it throws, its
   * writes are rolled back (and only its own: lmdb commits several callers together) and the
   * promise rejects.
   */
  write<T>(fn: (tx: KvTx) => T, durability?: Durability): Promise<T>;
  close(): Promise<void>;
}

/** An exclusive upper bound for "every key that extends `prefix`": U+FFFF sorts after every
 * string part we store (names and ids are ASCII; user-given strings are escaped to ASCII in
 * schema.ts) and strings sort after numbers, so no extension of `prefix` reaches it.
 * (Appending to the last part instead would wrongly include siblings: topic "a" would
 * cover topic "a.b".) */
export const KEY_MAX = '\uffff';
export function prefixEnd(prefix: Key): Key {
  return [...prefix, KEY_MAX];
}

/** Tuple order, the same as lmdb's ordered-binary for our keys. */
export function compareKeys(a: Key, b: Key): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
