/**
 * The lmdb engine: embedded, durable, the broker's default store.
 *
 *   write(fn) ──► root.childTransaction(fn)   lmdb-js queues fn with every other write of
 *                    │                        this event turn and runs them in ONE write
 *                    │                        transaction (group commit: one fsync for many
 *                    │                        publishes); each fn in its own child
 *                    │                        transaction, so a fn that throws is rolled back
 *                    ▼                        alone and the others still commit
 *                 committed ──► root.flushed ──► resolve
 *
 * lmdb-js's default `overlappingSync` lets a commit become visible before it is flushed; a
 * `durable` write waits for `flushed` as well, because a publish must be answered only once the message
 * survives a power cut, not just a process crash.
 */
import { open, type RootDatabase } from 'lmdb';
import type { Durability, Key, KeyPart, KvEngine, KvEntry, KvTx } from './engine.js';

// lmdb's typings want mutable arrays; our keys are readonly tuples of the same shape.
type LmdbKey = KeyPart[];
const asLmdbKey = (key: Key) => key as LmdbKey;

export class LmdbEngine implements KvEngine {
  readonly name = 'lmdb';
  readonly #root: RootDatabase<unknown, LmdbKey>;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(readonly path: string) {
    this.#root = open<unknown, LmdbKey>({ path, compression: false });
  }

  read<T>(fn: (tx: KvTx) => T): T {
    this.#checkOpen();
    return fn(this.#tx());
  }

  write<T>(fn: (tx: KvTx) => T, durability: Durability = 'durable'): Promise<T> {
    this.#checkOpen();
    const done = (async () => {
      const result = (await this.#root.childTransaction(() => fn(this.#tx()))) as T;
      if (durability === 'durable') await this.#root.flushed;
      return result;
    })();
    this.#inFlight.add(done);
    const forget = () => this.#inFlight.delete(done);
    done.then(forget, forget);
    return done;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#root.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('store is closed');
  }

  // Inside root.transaction's callback, get/getRange read the open write transaction and
  // putSync/removeSync write into it; outside, get/getRange read a snapshot.
  #tx(): KvTx {
    const root = this.#root;
    return {
      get: <T>(key: Key) => root.get(asLmdbKey(key)) as T | undefined,
      put: (key, value) => {
        root.putSync(asLmdbKey(key), value);
      },
      remove: (key) => {
        root.removeSync(asLmdbKey(key));
      },
      range: <T>(start: Key, end: Key, limit?: number) => {
        const out: KvEntry<T>[] = [];
        for (const { key, value } of root.getRange({ start: asLmdbKey(start), end: asLmdbKey(end), limit })) out.push({ key: key as Key, value: value as T });
        return out;
      },
    };
  }
}
