/**
 * The in-memory engine: tests only (SPEC §3). Values are cloned on the way in and out, so a
 * caller mutating a record cannot change what is stored — the same isolation lmdb's
 * serialisation gives, so the contract suite cannot pass here by aliasing luck.
 */
import { compareKeys, type Key, type KvEngine, type KvEntry, type KvTx } from './engine.js';

export class MemoryEngine implements KvEngine {
  readonly name = 'memory';
  // Sorted by key; O(n) inserts are fine for test-sized data and keep the code obvious.
  #entries: Array<{ key: Key; value: unknown }> = [];
  #closed = false;
  #writing = false;

  read<T>(fn: (tx: KvTx) => T): T {
    this.#checkOpen();
    return fn(this.#tx(false, null));
  }

  async write<T>(fn: (tx: KvTx) => T): Promise<T> {
    this.#checkOpen();
    if (this.#writing) throw new Error('memory engine: write called from inside a write');
    // Undo log: a throwing callback leaves the data as it was (stricter than lmdb needs).
    const undo: Array<() => void> = [];
    this.#writing = true;
    let result: T;
    try {
      result = fn(this.#tx(true, undo));
    } catch (error) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]();
      throw error;
    } finally {
      this.#writing = false;
    }
    // Resolve on a later turn, like a real commit, so callers cannot rely on synchrony.
    await new Promise((resolve) => setImmediate(resolve));
    return result;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('store is closed');
  }

  #find(key: Key): { index: number; found: boolean } {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKeys(this.#entries[mid].key, key);
      if (c === 0) return { index: mid, found: true };
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return { index: lo, found: false };
  }

  #tx(writable: boolean, undo: Array<() => void> | null): KvTx {
    const entries = () => this.#entries;
    const notWritable = () => {
      throw new Error('memory engine: put/remove outside a write');
    };
    return {
      get: <T>(key: Key) => {
        const { index, found } = this.#find(key);
        return found ? (structuredClone(entries()[index].value) as T) : undefined;
      },
      put: (key, value) => {
        if (!writable) notWritable();
        const copy = { key: [...key], value: structuredClone(value) };
        const { index, found } = this.#find(key);
        if (found) {
          const old = entries()[index];
          entries()[index] = copy;
          undo!.push(() => {
            entries()[this.#find(key).index] = old;
          });
        } else {
          entries().splice(index, 0, copy);
          undo!.push(() => {
            entries().splice(this.#find(key).index, 1);
          });
        }
      },
      remove: (key) => {
        if (!writable) notWritable();
        const { index, found } = this.#find(key);
        if (!found) return;
        const [old] = entries().splice(index, 1);
        undo!.push(() => {
          entries().splice(this.#find(key).index, 0, old);
        });
      },
      range: <T>(start: Key, end: Key, limit = Infinity) => {
        const out: KvEntry<T>[] = [];
        for (let i = this.#find(start).index; i < entries().length && out.length < limit; i++) {
          const entry = entries()[i];
          if (compareKeys(entry.key, end) >= 0) break;
          out.push({ key: [...entry.key], value: structuredClone(entry.value) as T });
        }
        return out;
      },
    };
  }
}
