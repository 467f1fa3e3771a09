/**
 * How a scheduler (or offload) thread loads postbox's code — decided once, here.
 *
 * Built package (dist/*.js): the worker runs the entry module directly, no loader.
 * Sources (*.ts, in tests and `npm start`): Node 20 cannot start a worker on a .ts file, and
 * `execArgv: ['--import', 'tsx']` does not apply to worker entries, so the worker runs
 * thread-bootstrap.mjs, which registers tsx's ESM loader and then imports the entry; the
 * `source` export condition makes workspace packages resolve to their TypeScript sources too.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when postbox runs from its TypeScript sources (not from dist/). */
export const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The URL of a sibling module of this one (`name` without extension): .ts from sources, .js built. */
export function siblingModule(name: string): URL {
  return new URL(`./${name}${RUNNING_FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
}

/** Starts a worker thread running the module at `entry` (a file URL of .ts or .js). */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.href.endsWith('.ts')) return new Worker(entry, options);
  const execArgv = [...(options.execArgv ?? []), '--conditions=source'];
  return new Worker(new URL('./thread-bootstrap.mjs', import.meta.url), {
    ...options,
    execArgv,
    workerData: { ...(options.workerData as object), entry: entry.href },
  });
}

/** The options piscina needs to run tasks from TypeScript or built modules alike. */
export function offloadWorkerFile(): { filename: string; execArgv: string[] } {
  return RUNNING_FROM_SOURCE
    ? { filename: new URL('./offload-bootstrap.mjs', import.meta.url).href, execArgv: ['--conditions=source'] }
    : { filename: siblingModule('offload-task').href, execArgv: [] };
}
