/**
 * The codec's error: a value that cannot be sent (SPEC.md §1 "Copy on send"). Thrown at the
 * `send` call, before anything is copied or written, by both the same-thread copy and the
 * cross-thread encoder, with the same path and description for the same value.
 */

/** A value (or something inside it) that cannot be sent; `path` says where, e.g. `msg.handlers[2]`. */
export class UnsendableError extends TypeError {
  override name = 'UnsendableError';
  /** Where the bad value sits, from the root (`msg`), e.g. `msg.map<"k">.cause`. */
  readonly path: string;
  /** What it was, e.g. `a function (onData)`, `an instance of Socket`, `a cycle back to msg`. */
  readonly what: string;

  constructor(path: string, what: string) {
    super(`cannot send ${path}: it is ${what}`);
    this.path = path;
    this.what = what;
  }
}
