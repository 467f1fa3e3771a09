/**
 * Waiting without blocking the event loop: a short spin, then `Atomics.waitAsync` on a futex
 * word. TypeScript's ES2023 lib does not declare `Atomics.waitAsync` (Node 20 has it), so it is
 * typed here once.
 */

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

const atomics = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult;
};

/** setTimeout turns longer delays into 1 ms; a longer park just re-arms its timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Resolves once `array[index]` is notified, or was already different from `expected`, or
 * `timeoutMs` has passed (it may resolve early: callers re-check their condition).
 *
 * A pending `Atomics.waitAsync` keeps no event loop alive: a thread with nothing else to do
 * would exit with the promise unsettled (a worker's top-level await ends with exit code 13).
 * So with `keepAlive` a timer holds the loop until the wait ends; without it, a finite
 * timeout still settles through an unref'd timer whenever the loop is alive anyway.
 */
export async function park(
  array: Int32Array,
  index: number,
  expected: number,
  timeoutMs: number,
  keepAlive: boolean,
): Promise<void> {
  const wait = atomics.waitAsync(array, index, expected, timeoutMs);
  if (!wait.async) return;
  if (!keepAlive && timeoutMs === Infinity) {
    await wait.value;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const held = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.min(Math.ceil(timeoutMs), MAX_TIMER_MS));
    if (!keepAlive) timer.unref();
  });
  try {
    await Promise.race([wait.value, held]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `ready` until it is true or `micros` have passed; true when it became ready. */
export function spin(ready: () => boolean, micros: number): boolean {
  if (micros <= 0) return false;
  const until = performance.now() + micros / 1000;
  do {
    if (ready()) return true;
  } while (performance.now() < until);
  return false;
}
