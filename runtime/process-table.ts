/**
 * A scheduler's live actors by pid serial: pages of PAGE consecutive serials, each a plain array
 * of slots, found by page number in a Map (with the page used last kept aside).
 *
 * Why not one Map from serial to process: serials of one scheduler are handed out in order, so
 * actors spawned together share a page and a spawn is an array store, where a Map entry cost a
 * hash-bucket write at a random place in a table of every live actor (a cache miss per spawn
 * once that table outgrew the cache), ~30 bytes per actor, and a rehash of the whole table at
 * each doubling (SPEC.md §4 R3-spawn). A page goes away with its last actor; a serial is never
 * reused, so it never comes back (an actor adopted from another thread may still land in an
 * older page, which is then made again).
 *
 * Memory: 8 bytes a slot, plus one page (~600 bytes) per PAGE serials with an actor alive; at
 * worst, one long-lived actor among every PAGE spawns, a page per actor.
 *
 * Iteration is by page in the order pages were made, and by serial within a page: oldest first,
 * as the Map's insertion order was (serials are handed out in spawn order).
 */
import type { Process } from './process.js';

/** Serials per page (a power of two). */
const PAGE = 64;

class Page {
  readonly slots: (Process | undefined)[] = new Array<Process | undefined>(PAGE).fill(undefined);
  live = 0;
}

export class ProcessTable {
  private readonly pages = new Map<number, Page>();
  /** The page used last and its number (-1: none). */
  private lastNumber = -1;
  private last: Page | undefined = undefined;
  /** Live actors. */
  size = 0;

  private page(n: number): Page | undefined {
    if (n === this.lastNumber) return this.last;
    const page = this.pages.get(n);
    if (page !== undefined) {
      this.lastNumber = n;
      this.last = page;
    }
    return page;
  }

  get(serial: number): Process | undefined {
    // Serials reach 2^44: page numbers by division, not by 32-bit shifts.
    const page = this.page(Math.floor(serial / PAGE));
    return page === undefined ? undefined : page.slots[serial % PAGE];
  }

  /** Adds a process under a serial not in the table. */
  set(serial: number, p: Process): void {
    const n = Math.floor(serial / PAGE);
    let page = this.page(n);
    if (page === undefined) {
      page = new Page();
      this.pages.set(n, page);
      this.lastNumber = n;
      this.last = page;
    }
    const i = serial % PAGE;
    if (page.slots[i] === undefined) {
      page.live++;
      this.size++;
    }
    page.slots[i] = p;
  }

  /** Removes the process under `serial`; true if there was one. */
  delete(serial: number): boolean {
    const n = Math.floor(serial / PAGE);
    const page = this.page(n);
    if (page === undefined) return false;
    const i = serial % PAGE;
    if (page.slots[i] === undefined) return false;
    page.slots[i] = undefined;
    this.size--;
    if (--page.live === 0) {
      this.pages.delete(n);
      if (this.lastNumber === n) {
        this.lastNumber = -1;
        this.last = undefined;
      }
    }
    return true;
  }

  /** The live processes, oldest first, as a new array (the table may change while it is walked). */
  values(): Process[] {
    const out: Process[] = [];
    for (const page of this.pages.values()) {
      const slots = page.slots;
      for (let i = 0; i < PAGE; i++) {
        const p = slots[i];
        if (p !== undefined) out.push(p);
      }
    }
    return out;
  }
}

/** Serials per page (for tests). */
export const PROCESS_TABLE_PAGE = PAGE;
