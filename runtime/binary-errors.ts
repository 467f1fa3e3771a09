/**
 * Errors of shared binaries (SPEC.md §1 "Shared binaries"), one class per condition, thrown at
 * the call that misused a binary; exported together so callers can `instanceof`.
 */

/** A shared binary was read, sent or shared after `release()` (or after its holder exited). */
export class ReleasedBinaryError extends Error {
  override name = 'ReleasedBinaryError';
}

/** A writable view was asked for after the binary was sealed (sent, copied or `seal()`ed). */
export class SealedBinaryError extends Error {
  override name = 'SealedBinaryError';
}

/**
 * An allocation would take the shared binary heap past its limit (`sharedMemoryBytes` at
 * `start`). Thrown by the allocating call only; nothing else is changed.
 */
export class SharedMemoryLimitError extends RangeError {
  override name = 'SharedMemoryLimitError';
  /** Bytes the failed allocation asked for (payload). */
  readonly requested: number;
  /** The heap's limit in bytes. */
  readonly limit: number;
  /** Bytes in use by live binaries (headers included) when it failed. */
  readonly used: number;

  constructor(requested: number, limit: number, used: number) {
    super(
      `shared memory limit reached: cannot allocate a binary of ${requested} bytes ` +
        `(${used} of ${limit} bytes in use; raise sharedMemoryBytes at start)`,
    );
    this.requested = requested;
    this.limit = limit;
    this.used = used;
  }
}

/** A shared binary was made on a thread where no actor system is running (call `start()` first). */
export class NoBinaryHeapError extends Error {
  override name = 'NoBinaryHeapError';
}

/**
 * The shared binary heap's lock stayed taken past its deadline (a thread stalled or died while
 * allocating; a dead one is cleared when it is declared down). The allocating call failed;
 * retrying later may succeed.
 */
export class SharedMemoryBusyError extends Error {
  override name = 'SharedMemoryBusyError';
}
