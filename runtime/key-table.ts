/**
 * A hash table from pid/ref keys (`pidKey` numbers, 0 ≤ key < 2^53) to values, for the tables
 * that gain and lose an entry per request: aliases and monitors (every GenServer call makes one
 * of each and drops it at the reply).
 *
 * Why not Map: V8's Map is insertion ordered and leaves deleted entries in place until it
 * rehashes; a Map that goes from one entry to none shrinks at once, in a runtime call that
 * allocates a new table. So a Map with a few live entries and one set+delete per request
 * reallocates every few requests or on every one (measured 100–500 ns per set+delete pair on
 * the 2-core CI box, several per call). Open addressing with linear probing and backward-shift
 * deletion (no tombstones) allocates only to grow, and never shrinks.
 *
 * Iteration order is unspecified (not insertion order); the iterating helpers return snapshots,
 * so the table may be changed while their result is walked.
 *
 * The first entry of an empty table goes to a slot of its own (`soloKey`), outside the hash
 * arrays: the tables of a GenServer call (the caller's monitors, the server's monitoredBy) hold
 * one entry at a time, and there a set or delete is a compare and three stores, no hashing or
 * probing (about a third of the monitor work of a same-thread call under callgrind).
 */

/** Marks a free slot (keys are never negative). */
const FREE = -1;

export class KeyTable<V> {
  /** Keys by slot, FREE where none; plain arrays (numbers above 2^31 make them double arrays, unboxed). */
  private keys: number[];
  private vals: (V | undefined)[];
  private mask: number;
  /** 32 − log2(capacity): a multiplicative hash keeps its top bits. */
  private shift: number;
  /** Live entries, in the arrays and in the solo slot. */
  size = 0;
  /** The solo slot's key (FREE: empty) and value; a key is never in both it and the arrays. */
  private soloKey = FREE;
  private soloVal: V | undefined = undefined;

  /** `capacity`: a power of two; the table holds up to half as many entries before it grows. */
  constructor(capacity = 4) {
    this.keys = freeSlots(capacity);
    this.vals = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  private home(key: number): number {
    // Both halves of the key feed the hash: pid keys differ in the serial (low bits) and, across
    // schedulers, in bits 32 and up.
    return Math.imul((key | 0) ^ ((key / 4294967296) | 0), 0x9e3779b1) >>> this.shift;
  }

  /** The slot holding `key`, or -1. */
  private find(key: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === FREE) return -1;
    }
  }

  get(key: number): V | undefined {
    if (key === this.soloKey) return this.soloVal;
    const i = this.find(key);
    return i < 0 ? undefined : this.vals[i];
  }

  has(key: number): boolean {
    return key === this.soloKey || this.find(key) >= 0;
  }

  set(key: number, value: V): this {
    if (key === this.soloKey) {
      this.soloVal = value;
      return this;
    }
    if (this.size === 0) {
      this.soloKey = key;
      this.soloVal = value;
      this.size = 1;
      return this;
    }
    const keys = this.keys;
    const mask = this.mask;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === key) {
        this.vals[i] = value;
        return this;
      }
      if (k === FREE) break;
    }
    keys[i] = key;
    this.vals[i] = value;
    // At most half full: probe runs stay short.
    if (++this.size * 2 > mask + 1) this.grow();
    return this;
  }

  /** Removes `key`; true if it was there. */
  delete(key: number): boolean {
    if (key === this.soloKey) {
      this.soloKey = FREE;
      this.soloVal = undefined;
      this.size--;
      return true;
    }
    let hole = this.find(key);
    if (hole < 0) return false;
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    // Backward shift: move later entries of the same probe run into the hole when the hole lies
    // between their home slot and where they sit, so every run stays unbroken without tombstones.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j]!;
      if (k === FREE) break;
      const home = this.home(k);
      const reachable = home <= j ? home <= hole && hole < j : home <= hole || hole < j;
      if (reachable) {
        keys[hole] = k;
        vals[hole] = vals[j];
        hole = j;
      }
    }
    keys[hole] = FREE;
    vals[hole] = undefined;
    this.size--;
    return true;
  }

  /** The values, as a new array. */
  values(): V[] {
    const out: V[] = this.soloKey === FREE ? [] : [this.soloVal as V];
    for (let i = 0; i <= this.mask; i++) if (this.keys[i] !== FREE) out.push(this.vals[i] as V);
    return out;
  }

  /** The keys, as a new array. */
  keyList(): number[] {
    const out: number[] = this.soloKey === FREE ? [] : [this.soloKey];
    for (let i = 0; i <= this.mask; i++) if (this.keys[i] !== FREE) out.push(this.keys[i]!);
    return out;
  }

  /** The entries, as a new array of [key, value]. */
  entries(): [number, V][] {
    const out: [number, V][] = this.soloKey === FREE ? [] : [[this.soloKey, this.soloVal as V]];
    for (let i = 0; i <= this.mask; i++) if (this.keys[i] !== FREE) out.push([this.keys[i]!, this.vals[i] as V]);
    return out;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const capacity = (this.mask + 1) * 2;
    this.keys = freeSlots(capacity);
    this.vals = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift--;
    this.size = this.soloKey === FREE ? 0 : 1; // the arrays' entries are counted again as they go back in
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== FREE) this.set(oldKeys[i]!, oldVals[i] as V);
  }
}

function freeSlots(capacity: number): number[] {
  const keys: number[] = [];
  for (let i = 0; i < capacity; i++) keys.push(FREE);
  return keys;
}
