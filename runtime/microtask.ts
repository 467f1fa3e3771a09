/**
 * Queues a function as a microtask, as `queueMicrotask` does, without Node's per-call cost.
 *
 * Node's `queueMicrotask` makes an AsyncResource and a bound function per call, and runs the
 * callback through `runMicrotask` in that resource's async context: under callgrind ~1,000
 * instructions a call, where a reaction on a promise already resolved costs a few hundred. The
 * scheduler queues its drain this way whenever its run queue fills from empty outside a drain
 * (every message an async actor answers), the ring transport its flush, and receive timeouts
 * their notes: all internal callbacks that need no async context of their own.
 *
 * Same queue, same order: promise reactions and queueMicrotask callbacks share V8's microtask
 * queue, first in, first out. A callback that throws rejects the reaction's promise, which Node
 * reports as an unhandled rejection (by default fatal, as an uncaught exception from
 * queueMicrotask is); the callbacks queued here do not throw.
 */
const RESOLVED: Promise<void> = Promise.resolve();

export function queueJob(job: () => void): void {
  void RESOLVED.then(job);
}
