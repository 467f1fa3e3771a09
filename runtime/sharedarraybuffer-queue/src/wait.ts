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
 * The deadline is a JavaScript timer, never a waitAsync timeout: Node 20 keeps V8's delayed
 * tasks in a vector and removes each one that fires by linear search, so many pending
 * waitAsync timeouts stall the event loop (40,000 of them: a 1.6 s gap; 120,000 round trips
 * of a benchmark: single round trips of 100 s). A waiter left behind by a timer is then
 * removed with a notify of our own, so it cannot swallow a later producer's notify.
 *
 * A pending `Atomics.waitAsync` keeps no event loop alive: a thread with nothing else to do
 * would exit with the promise unsettled (a worker's top-level await ends with exit code 13).
 * So with `keepAlive` the timer is ref'd and holds the loop until the wait ends; without it,
 * the timer is unref'd and the thread may exit meanwhile.
 */
export async function park(
  array: Int32Array,
  index: number,
  expected: number,
  timeoutMs: number,
  keepAlive: boolean,
): Promise<void> {
  const wait = atomics.waitAsync(array, index, expected);
  if (!wait.async) return;
  if (!keepAlive && timeoutMs === Infinity) {
    await wait.value;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(
      () => {
        timedOut = true;
        resolve();
      },
      Math.min(Math.ceil(timeoutMs), MAX_TIMER_MS),
    );
    if (!keepAlive) timer.unref();
  });
  try {
    await Promise.race([wait.value, deadline]);
  } finally {
    clearTimeout(timer);
    // Our waiter is still registered (no timeout of its own): wake it so it goes away. Any
    // other waiter woken on this word re-checks its condition and parks again.
    if (timedOut) Atomics.notify(array, index);
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
