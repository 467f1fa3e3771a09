/**
 * Actor definitions of examples/hello.ts. They live in their own module because every
 * scheduler thread imports the module of a definition it runs: a module with definitions must
 * not start anything at import.
 */
import { defineActor, type Pid } from '../runtime/index.js';

export type CounterMessage = { add: number } | { get: true; from: Pid } | { crash: string };

/** Keeps a count; answers `{get, from}` with the count and where it runs. */
export const Counter = defineActor(import.meta.url, 'Counter', function* (ctx, initial: number) {
  let count = initial;
  for (;;) {
    const m: CounterMessage = yield ctx.receive();
    if ('add' in m) count += m.add;
    else if ('get' in m) ctx.send(m.from, { count, at: String(ctx.self) });
    else throw new Error(m.crash);
  }
});
