/** The errors a ring throws, one class per condition, so callers can use `instanceof`. */

/** A record that no ring of this capacity can ever hold; nothing was written. */
export class RecordTooLargeError extends RangeError {
  override readonly name = 'RecordTooLargeError';
  /** Payload bytes of the refused record. */
  readonly size: number;
  /** Largest payload this ring accepts. */
  readonly maxRecordBytes: number;

  constructor(size: number, maxRecordBytes: number) {
    super(
      `record of ${size} bytes is larger than the ${maxRecordBytes} bytes this ring can hold ` +
        `(half its capacity minus a 4-byte header)`,
    );
    this.size = size;
    this.maxRecordBytes = maxRecordBytes;
  }
}

/** `drain` was called from inside one of its own callbacks, which would hand out records twice. */
export class ReentrantDrainError extends Error {
  override readonly name = 'ReentrantDrainError';

  constructor() {
    super('drain called from inside a drain callback; return from the callback first');
  }
}
