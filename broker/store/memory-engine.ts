/**
 * The in-memory engine: tests only (SPEC §3). Values are cloned on the way in and out, so a
 * caller mutating a record cannot change what is stored — the same isolation lmdb's
 * serialisation gives, so the contract suite cannot pass here by aliasing luck.
 *
 * Entries live in sorted chunks of at most `chunkSize` entries (a one-level B-tree): a lookup is
 * two binary searches, an insert moves at most `chunkSize` entries, so end-to-end tests with
 * hundreds of thousands of records stay fast.
 */
import { compareKeys, type Key, type KvEngine, type KvEntry, type KvTx } from './engine.js';

/** Default chunk size; tests use tiny chunks to exercise splits and merges. */
export const DEFAULT_CHUNK = 256;

interface Entry {
  readonly key: Key;
  value: unknown;
}

interface Position {
  chunk: number;
  index: number;
  found: boolean;
}

class SortedChunks {
  #chunks: Entry[][] = [[]];
  constructor(private readonly chunkSize: number) {}

  find(key: Key): Position {
    // Last chunk whose first key is ≤ key (chunk 0 when key is smaller than everything).
    let lo = 0;
    let hi = this.#chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareKeys(this.#chunks[mid][0].key, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    const chunk = this.#chunks[lo];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const c = compareKeys(chunk[mid].key, key);
      if (c === 0) return { chunk: lo, index: mid, found: true };
      if (c < 0) a = mid + 1;
      else b = mid;
    }
    return { chunk: lo, index: a, found: false };
  }

  get(key: Key): Entry | undefined {
    const p = this.find(key);
    return p.found ? this.#chunks[p.chunk][p.index] : undefined;
  }

  /** Inserts or replaces; returns the entry that was there. */
  set(key: Key, value: unknown): Entry | undefined {
    const p = this.find(key);
    const chunk = this.#chunks[p.chunk];
    if (p.found) {
      const old = chunk[p.index];
      chunk[p.index] = { key, value };
      return old;
    }
    chunk.splice(p.index, 0, { key, value });
    if (chunk.length > this.chunkSize) this.#chunks.splice(p.chunk + 1, 0, chunk.splice(chunk.length >>> 1));
    return undefined;
  }

  delete(key: Key): Entry | undefined {
    const p = this.find(key);
    if (!p.found) return undefined;
    const chunk = this.#chunks[p.chunk];
    const [old] = chunk.splice(p.index, 1);
    if (chunk.length === 0 && this.#chunks.length > 1) this.#chunks.splice(p.chunk, 1);
    return old;
  }

  /** Entries with start ≤ key < end, ascending. */
  *from(start: Key, end: Key): Generator<Entry> {
    const p = this.find(start);
    for (let c = p.chunk, i = p.index; c < this.#chunks.length; c++, i = 0) {
      const chunk = this.#chunks[c];
      for (; i < chunk.length; i++) {
        if (compareKeys(chunk[i].key, end) >= 0) return;
        yield chunk[i];
      }
    }
  }
}

export class MemoryEngine implements KvEngine {
  readonly name = 'memory';
  readonly #data: SortedChunks;
  #closed = false;
  #writing = false;

  constructor(options: { chunkSize?: number } = {}) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isInteger(chunkSize) || chunkSize < 2) throw new RangeError(`expected chunkSize to be an integer ≥ 2, got: ${chunkSize}`);
    this.#data = new SortedChunks(chunkSize);
  }

  read<T>(fn: (tx: KvTx) => T): T {
    this.#checkOpen();
    return fn(this.#tx(null));
  }

  async write<T>(fn: (tx: KvTx) => T): Promise<T> {
    this.#checkOpen();
    if (this.#writing) throw new Error('memory engine: write called from inside a write');
    // Undo log: a throwing callback leaves the data as it was, as lmdb's child transaction does.
    const undo: Array<() => void> = [];
    this.#writing = true;
    let result: T;
    try {
      result = fn(this.#tx(undo));
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

  /** `undo` is null for read-only transactions. */
  #tx(undo: Array<() => void> | null): KvTx {
    const data = this.#data;
    const restore = (key: Key, old: Entry | undefined) => () => {
      if (old) data.set(old.key, old.value);
      else data.delete(key);
    };
    const writable = () => {
      if (!undo) throw new Error('memory engine: put/remove outside a write');
      return undo;
    };
    return {
      get: <T>(key: Key) => {
        const entry = data.get(key);
        return entry ? (structuredClone(entry.value) as T) : undefined;
      },
      put: (key, value) => {
        const log = writable();
        const copy = [...key];
        log.push(restore(copy, data.set(copy, structuredClone(value))));
      },
      remove: (key) => {
        const log = writable();
        const old = data.delete(key);
        if (old) log.push(restore(old.key, old));
      },
      range: <T>(start: Key, end: Key, limit = Infinity) => {
        const out: KvEntry<T>[] = [];
        if (limit <= 0) return out;
        for (const entry of data.from(start, end)) {
          out.push({ key: [...entry.key], value: structuredClone(entry.value) as T });
          if (out.length >= limit) break;
        }
        return out;
      },
    };
  }
}
