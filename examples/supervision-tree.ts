/**
 * A small supervision tree, run end to end (it exits by itself):
 *
 *   app (one_for_one), on the main thread
 *   ├── names     Registry, registered as 'names'
 *   ├── counter   GenServer, named {via: ['names', 'counter']}, on a scheduler thread
 *   └── workers   supervisor (simple_one_for_one) of Squarer servers, started on demand
 *
 * It calls the counter through its via name, crashes it and calls it again (the supervisor
 * restarted it under the same name), starts workers on demand, runs a Task, and shuts the system
 * down: every supervisor stops its children in reverse start order.
 *
 *   node --conditions=source --import tsx examples/supervision-tree.ts
 */
import { isMainThread } from 'node:worker_threads';
import pino from 'pino';
import { start, type Context } from '../runtime/index.js';
import { GenServer, Registry, Supervisor, Task, type From } from '../actors/index.js';

/** A counter: `'get'` and `{add}` calls; `'crash'` throws (to show a restart). */
export const Counter = GenServer.define(import.meta.url, 'Counter', {
  init: (start: number) => ({ ok: true, state: start }),
  handleCall(req: 'get' | 'crash' | { add: number }, _from: From, n: number) {
    if (req === 'crash') throw new Error('the counter was asked to crash');
    if (req === 'get') return { reply: n, state: n };
    return { reply: n + req.add, state: n + req.add };
  },
});

/** Squares numbers; one per dynamic child. */
export const Squarer = GenServer.define(import.meta.url, 'Squarer', {
  init: (name: string) => ({ ok: true, state: name }),
  handleCall: (x: number, _from: From, name: string) => ({ reply: `${name}: ${x * x}`, state: name }),
});

/** The application's root supervisor, as a module (so it could be placed on any scheduler). */
export const App = Supervisor.define(import.meta.url, 'App', (_args: undefined) => ({
  strategy: 'one_for_one',
  intensity: 3,
  periodMs: 5_000,
  children: [
    Registry.childSpec('names', 'names', { scheduler: 0 }),
    { id: 'counter', scheduler: 1, start: { server: Counter, args: 100, name: Registry.via('names', 'counter') } },
    {
      id: 'workers',
      start: {
        supervisor: { strategy: 'simple_one_for_one', children: [{ id: 'squarer', restart: 'transient', start: { server: Squarer } }] },
        name: 'workers',
      },
    },
  ],
}));

// Scheduler threads import this module to find Counter and Squarer: the program itself runs
// only on the main thread.
if (isMainThread) await main();

async function main(): Promise<void> {
  // Supervisor reports (crashes, restarts) as short lines instead of pino's JSON.
  const logger = pino({ level: 'info' }, {
    write(line: string) {
      const r = JSON.parse(line);
      if (r.report) console.log(`  [${r.report}] ${r.child?.id ?? r.supervisor}: ${r.reason}`);
    },
  });

  const system = await start({ logger, schedulers: 1 });
  // Placed on the main thread (scheduler 0), where its reports go to the logger above; defined
  // modules are spread over the scheduler threads unless placed.
  const app = await Supervisor.start(system, App, undefined, { scheduler: 0 });
  if (!app.ok) throw new Error(`the application did not start: ${String(app.error)}`);

  const counter = Registry.via('names', 'counter');
  console.log('counter + 5 =', await GenServer.call(system, counter, { add: 5 }));

  console.log('crashing the counter…');
  await GenServer.call(system, counter, 'crash').catch((e: Error) => console.log(`  the call failed: ${e.message}`));
  // The restart is done once the supervisor answers (it handles the crash first); the registry
  // hears of the crash from another thread, so wait until the name points at the new counter.
  await Supervisor.whichChildren(system, app.pid);
  for (let i = 0; i < 100 && !(await GenServer.call(system, counter, 'get').then(() => true, () => false)); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  console.log('counter after restart =', await GenServer.call(system, counter, 'get'), '(fresh state)');

  for (const name of ['ada', 'bob']) await Supervisor.startChild(system, 'workers', [name]);
  const workers = await Supervisor.whichChildren(system, 'workers');
  for (const [i, w] of workers.entries()) console.log(await GenServer.call(system, w.pid!, i + 7));

  const task = Task.async(system, async (ctx: Context) => {
    const n: number = await GenServer.call(ctx, counter, { add: 1 });
    return `a task saw the counter at ${n}`;
  });
  console.log(await Task.await(system, task));

  console.log('children of app:', (await Supervisor.whichChildren(system, app.pid)).map((c) => c.id).join(', '));
  // Stop the application (its children stop in reverse start order), then the system.
  await GenServer.stop(system, app.pid, 'shutdown');
  await system.shutdown();
  console.log('shut down');
}
