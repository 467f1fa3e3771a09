/**
 * One blocking operation (a call, a start, an await) written once, as a generator of receive
 * steps, and usable from every kind of caller:
 *
 *   async actor / inbox:  await GenServer.call(ctx, s, req)    then() ─▶ drive(steps(ctx))
 *   generator actor:      yield* GenServer.call(ctx, s, req)   [Symbol.iterator]() ─▶ steps(ctx)
 *   outside code:         await GenServer.call(system, s, req) then() ─▶ drive(steps(inbox)) in a fresh inbox
 *
 * A generator actor's `ctx.receive` is a step the scheduler resumes with the message, so the
 * steps run with no promise per message; in an async actor the same steps yield promises, which
 * `drive` awaits. An Op starts when it is awaited or iterated (once); one that is neither by the
 * end of the current synchronous code starts by itself (fire and forget: `void GenServer.call(…)`),
 * except in a generator actor, which must `yield*` it.
 */
import { ActorSystem, BadArgError, type Context } from '../runtime/index.js';
import { isProcess, queueJob } from '../runtime/internal.js';

/** Who is asking: an actor's context, or the system (outside code; an inbox is made per operation). */
export type Caller = Context | ActorSystem;

/**
 * The steps of an operation. `ctx` receives (the caller's context, or an inbox for outside
 * code); `origin` spawns, so that actors started from outside are top-level (no parent), as
 * `system.shutdown` expects.
 */
export type Steps<T> = (ctx: Context, origin: Context | ActorSystem) => Generator<unknown, T, any>;

/** 'generator', 'async' or 'inbox': how `ctx.receive` answers (fixed once the actor's code runs). */
export function formOf(ctx: Context): string {
  // Every context is a Process; read its kind directly (an Op is made per call: no table lookup).
  return isProcess(ctx) ? ctx.kind : (ctx.info()?.kind ?? 'async');
}

/** True for a generator actor's context (false for the system and other forms). */
function isGeneratorCaller(caller: Caller): boolean {
  if (isProcess(caller)) return caller.kind === 'generator';
  return !(caller instanceof ActorSystem) && formOf(caller) === 'generator';
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs steps in an async context: every value they yield must be a promise (an async actor's
 * receive, or I/O), whose result (or error) resumes them.
 */
export async function drive<T>(gen: Generator<unknown, T, any>): Promise<T> {
  let input: unknown = undefined;
  let failed = false;
  for (;;) {
    const step = failed ? gen.throw(input) : gen.next(input);
    if (step.done) return step.value;
    const v = step.value;
    if (!isThenable(v)) {
      throw new BadArgError('expected an async context (a generator actor must use `yield*` on postbox operations, not `await`)');
    }
    try {
      input = await v;
      failed = false;
    } catch (e) {
      input = e;
      failed = true;
    }
  }
}

export class Op<T> implements PromiseLike<T> {
  // Declared, not defined, and set in the constructor: a base class with field definitions (or
  // #private fields, which are field definitions) makes every subclass's `super()` a generic
  // construct call in V8 (Node 20), ~300 instructions per GenServer call (CallOp extends Op).
  private declare readonly opCaller: Caller;
  private declare readonly opSteps: Steps<T> | null;
  private declare readonly opWhat: string;
  private declare opPromise: Promise<T> | undefined;
  private declare opStarted: boolean;

  /**
   * `steps` null: a subclass overrides `steps` (a hot operation, spared a closure per use).
   * `stepsOnly`: the object is only a subclass's steps, for `yield*` in `caller` (it is never
   * started as an operation: awaiting it rejects).
   */
  constructor(caller: Caller, what: string, steps: Steps<T> | null, stepsOnly = false) {
    this.opCaller = caller;
    this.opWhat = what;
    this.opSteps = steps;
    this.opPromise = undefined;
    this.opStarted = stepsOnly;
    if (!stepsOnly && !isGeneratorCaller(caller)) {
      queueJob(() => {
        if (!this.opStarted) void this.promise();
      });
    }
  }

  /** For `yield*` in a generator actor. */
  [Symbol.iterator](): Generator<unknown, T, any> {
    return this.startSteps();
  }

  /**
   * What `[Symbol.iterator]` does, under a plain name for subclasses: `super[Symbol.iterator]()`
   * (a computed super key) is a runtime call in V8 on every use.
   */
  protected startSteps(): Generator<unknown, T, any> {
    const caller = this.opCaller;
    // Process first: for the common caller that is one prototype step, not a whole chain.
    if (!isProcess(caller) && caller instanceof ActorSystem) {
      throw new BadArgError(`${this.opWhat}: \`yield*\` needs an actor's context; from outside code, \`await\` it`);
    }
    this.markStarted();
    return this.steps(caller, caller);
  }

  /** The operation's steps in `ctx`. */
  protected steps(ctx: Context, origin: Context | ActorSystem): Generator<unknown, T, any> {
    return this.opSteps!(ctx, origin);
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.promise().then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.promise().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.promise().finally(onFinally);
  }

  /** Starts the operation (once) and returns its promise. */
  promise(): Promise<T> {
    if (this.opPromise === undefined) {
      try {
        this.markStarted();
        this.opPromise = this.run();
      } catch (e) {
        this.opPromise = Promise.reject(e);
      }
    }
    return this.opPromise;
  }

  get [Symbol.toStringTag](): string {
    return 'Op';
  }

  private markStarted(): void {
    if (this.opStarted) throw new BadArgError(`${this.opWhat}: this operation has already been started (await or yield* it once)`);
    this.opStarted = true;
  }

  private async run(): Promise<T> {
    const caller = this.opCaller;
    if (caller instanceof ActorSystem) {
      const inbox = caller.inbox();
      try {
        return await drive(this.steps(inbox, caller));
      } finally {
        inbox.close();
      }
    }
    if (formOf(caller) === 'generator') {
      throw new BadArgError(`${this.opWhat}: in a generator actor use \`yield* ${this.opWhat}(ctx, ...)\`, not await`);
    }
    return drive(this.steps(caller, caller));
  }
}
