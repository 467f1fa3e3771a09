/**
 * What the main thread and scheduler threads tell each other over postMessage (control only:
 * messages between actors go through the rings), and how a thread finds an actor definition.
 */
import type { ActorDefinition } from './actor.js';

/** The shared memory and settings a scheduler thread starts with. */
export interface ThreadData {
  id: number;
  rings: SharedArrayBuffer[];
  serials: SharedArrayBuffer;
  /** Ref-serial block counters, one BigInt64 per scheduler (RingTransport.reserveRefs). */
  refBlocks: SharedArrayBuffer;
  names: SharedArrayBuffer;
  heartbeats: SharedArrayBuffer;
  /** The system's shared binary heap (binary-heap.ts) and the promotion threshold. */
  binaries: { buffer: SharedArrayBuffer; threshold: number };
  heartbeatMs: number;
  /** Serials up to this were born on the thread this one replaces (all dead). */
  deadBelow: number;
  /** Ref serials up to this were made by the thread this one replaces (their aliases are dead). */
  refsDeadBelow: number;
  /** µs an idle thread polls its ring before parking, or learned per thread (adaptive-spin.ts). */
  spinMicros: number | 'adaptive';
  processBudget: number | undefined;
  sliceBudget: number | undefined;
  logLevel: string;
}

export type ControlMessage =
  | { type: 'ready'; id: number }
  | { type: 'scheduler_down'; id: number }
  | { type: 'shutdown'; timeoutMs: number }
  | { type: 'stopped' };

/**
 * Imports `module` and returns its export `name`, which must be an actor definition
 * (made by defineActor). Definitions must live in modules that can be imported on any thread.
 */
export async function loadDefinition(module: string, name: string): Promise<ActorDefinition> {
  const key = `${name}\0${module}`;
  const known = loaded.get(key);
  if (known !== undefined) return known;
  const mod = (await import(module)) as Record<string, unknown>;
  const def = mod[name] as ActorDefinition | undefined;
  if (typeof def !== 'object' || def === null || typeof def.body !== 'function' || def.module !== module) {
    throw new Error(`no actor definition exported as "${name}" from ${module}`);
  }
  loaded.set(key, def);
  return def;
}

/**
 * Definitions this thread has loaded, by name and module. Every spawn from another thread looks
 * its definition up: an `import()` of a module already loaded still runs the loader's resolve
 * step, which, when the code runs from its TypeScript sources (tsx's hooks, see
 * thread-loader.ts), is a round trip to the loader's own thread — about 100 µs of CPU per spawn,
 * measured as that thread's time while 1,000 actors were spawned across threads (R8). A
 * definition never changes once its module has loaded, so the first answer serves them all.
 */
const loaded = new Map<string, ActorDefinition>();
