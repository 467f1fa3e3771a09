/**
 * Blocking or CPU-heavy work off the schedulers (Erlang's dirty schedulers): a task runs on a
 * piscina pool while the actor's scheduler keeps serving messages. Like actors, a task is
 * defined once in a module so a pool thread can import it:
 *
 *   export const fib = defineTask(import.meta.url, 'fib', (n: number) => slowFib(n));
 *   const x = await ctx.offload(fib, 35);        // async actor
 *   const x = yield ctx.offload(fib, 35);        // generator actor (it yields the promise)
 *
 * Arguments and results are structured-cloned (piscina's postMessage).
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { BadArgError } from './errors.js';
import { offloadWorkerFile } from './thread-loader.js';

export interface TaskDefinition<A extends unknown[] = any[], R = unknown> {
  readonly module: string;
  readonly name: string;
  readonly fn: (...args: A) => R | Promise<R>;
}

/** Defines a task exported as `name` from the module at `moduleUrl` (pass `import.meta.url`). */
export function defineTask<A extends unknown[], R>(moduleUrl: string, name: string, fn: (...args: A) => R | Promise<R>): TaskDefinition<A, R> {
  if (typeof moduleUrl !== 'string' || !moduleUrl.includes(':')) {
    throw new TypeError(`expected the defining module's URL (import.meta.url), got: ${String(moduleUrl)}`);
  }
  if (typeof fn !== 'function') throw new TypeError(`expected a task function, got: ${typeof fn}`);
  return Object.freeze({ module: moduleUrl, name, fn });
}

/** What a pool thread is asked to run. */
export interface OffloadRequest {
  module: string;
  name: string;
  args: unknown[];
}

/** The pool of one scheduler thread, started on first use. */
export class Offloader {
  #pool: Piscina | undefined;
  readonly #maxThreads: number;

  constructor(maxThreads = Math.max(1, availableParallelism())) {
    this.#maxThreads = maxThreads;
  }

  run<A extends unknown[], R>(task: TaskDefinition<A, R>, args: A): Promise<R> {
    if (typeof task !== 'object' || task === null || typeof task.fn !== 'function' || typeof task.module !== 'string') {
      throw new BadArgError(`offload: expected a task made by defineTask, got: ${String(task)}`);
    }
    const request: OffloadRequest = { module: task.module, name: task.name, args };
    return this.#poolNow().run(request) as Promise<R>;
  }

  #poolNow(): Piscina {
    if (this.#pool === undefined) {
      const { filename, execArgv } = offloadWorkerFile();
      this.#pool = new Piscina({ filename, execArgv, maxThreads: this.#maxThreads, minThreads: 0, idleTimeout: 1_000 });
    }
    return this.#pool;
  }

  /** Stops the pool threads (tasks still running are cancelled). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }
}
