/**
 * Actor definitions: an actor is defined once, in a module, and can then be spawned on any
 * scheduler. The definition records the module URL and the export name so that a scheduler on
 * another thread can import the same module and find the same definition.
 *
 * Two forms, one semantics:
 * - async function `async (ctx, ...args) => { const m = await ctx.receive(match) }` — the usual form;
 *   costs a promise per receive.
 * - generator function `function* (ctx, ...args) { const m = yield ctx.receive(match) }` — driven by the
 *   scheduler with `next()`, no promise per message: the fastest form. It may also
 *   `yield somePromise` to wait for I/O (the result comes back from the `yield`).
 */
import type { Context, Spawnable } from './context.js';

export type AsyncBody<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<unknown>;
export type GeneratorBody<A extends unknown[]> = (ctx: Context, ...args: A) => Generator<unknown, unknown, any>;
export type ActorBody<A extends unknown[]> = AsyncBody<A> | GeneratorBody<A>;

export type ActorKind = 'async' | 'generator';

export interface ActorDefinition<A extends unknown[] = any[]> {
  /** URL of the module that exports this definition (`import.meta.url` there). */
  readonly module: string;
  /** The export name under which the module exports it. */
  readonly name: string;
  readonly kind: ActorKind;
  readonly body: ActorBody<A>;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;

/** Which form a body is written in; rejects what the scheduler cannot drive. */
export function actorKind(body: unknown): ActorKind {
  if (typeof body !== 'function') throw new TypeError(`expected an actor function, got: ${typeof body}`);
  if (body instanceof AsyncGeneratorFunction) {
    throw new TypeError('expected an async function or a generator function, got: an async generator function');
  }
  return body instanceof GeneratorFunction ? 'generator' : 'async';
}

/** The form of something spawnable: a bare function's, or the one its definition recorded. */
export function spawnableKind(actor: Spawnable<any[]>): ActorKind {
  return typeof actor === 'function' ? actorKind(actor) : actor.kind;
}

/** Definitions by `module#name`, for schedulers that receive a spawn by module reference. */
const definitions = new Map<string, ActorDefinition>();

/**
 * Defines an actor exported as `name` from the module at `moduleUrl` (pass `import.meta.url`).
 * Spawning it on another thread imports that module there and uses its export `name`.
 */
export function defineActor<A extends unknown[]>(moduleUrl: string, name: string, body: ActorBody<A>): ActorDefinition<A> {
  if (typeof moduleUrl !== 'string' || !moduleUrl.includes(':')) {
    throw new TypeError(`expected the defining module's URL (import.meta.url), got: ${String(moduleUrl)}`);
  }
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`expected an export name, got: ${String(name)}`);
  const def: ActorDefinition<A> = Object.freeze({ module: moduleUrl, name, kind: actorKind(body), body });
  definitions.set(`${moduleUrl}#${name}`, def as ActorDefinition);
  return def;
}

/** The definition a module registered under `name`, once that module has been imported here. */
export function lookupDefinition(moduleUrl: string, name: string): ActorDefinition | undefined {
  return definitions.get(`${moduleUrl}#${name}`);
}
