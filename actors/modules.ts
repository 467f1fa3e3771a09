/**
 * Behaviour modules by reference. A GenServer callback module, a supervisor module or a task
 * function holds functions, which cannot be sent; what a spawn carries is its reference
 * `{module, name}` (the defining module's URL and its export name), as with `defineActor`. The
 * actor resolves the reference where it runs: from the table below when the defining module has
 * been loaded on that thread, else by importing it.
 */
import { BadArgError } from '../runtime/index.js';

/** What crosses a spawn instead of the module itself. */
export interface ModuleRef {
  readonly module: string;
  readonly name: string;
}

const table = new Map<string, unknown>();

function key(ref: ModuleRef): string {
  return `${ref.module}#${ref.name}`;
}

/** Records `value` as the export `name` of the module at `moduleUrl` (pass `import.meta.url`). */
export function defineExport(what: string, moduleUrl: string, name: string, value: unknown): void {
  if (typeof moduleUrl !== 'string' || !moduleUrl.includes(':')) {
    throw new BadArgError(`${what}: expected the defining module's URL (import.meta.url), got: ${String(moduleUrl)}`);
  }
  if (typeof name !== 'string' || name.length === 0) {
    throw new BadArgError(`${what}: expected an export name, got: ${String(name)}`);
  }
  table.set(key({ module: moduleUrl, name }), value);
}

/** The plain-data reference to a defined module. */
export function refOf(def: ModuleRef): ModuleRef {
  return { module: def.module, name: def.name };
}

/** The defined value, if its module has been loaded on this thread. */
export function lookupExport(ref: ModuleRef): unknown {
  return table.get(key(ref));
}

/**
 * Steps that resolve a reference, importing its module if needed (the import is yielded as a
 * promise: generator actors suspend on it, async ones await it).
 */
export function* resolveExport<T>(ref: ModuleRef, check: (v: unknown) => v is T): Generator<unknown, T, any> {
  let value = table.get(key(ref));
  if (value === undefined) {
    const mod: Record<string, unknown> = yield import(ref.module);
    value = table.get(key(ref)) ?? mod[ref.name];
  }
  if (!check(value)) {
    throw new BadArgError(`module ${ref.module} has no export "${ref.name}" of the expected kind`);
  }
  return value;
}
