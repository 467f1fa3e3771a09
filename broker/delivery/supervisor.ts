/**
 * The delivery component as one supervision subtree, started by the broker's root tree:
 *
 *   Delivery (rest_for_one)
 *     ├─ recorder     'postbox.delivery.recorder': writes the tasks' outcomes, batched
 *     ├─ dispatcher   GenServer 'postbox.delivery': permits, per-endpoint gate, tasks
 *     └─ retrievers   Supervisor (one_for_one): `retrievers` Retriever actors
 *   delivery tasks and hand-backs are spawned by the dispatcher, monitored, not supervised:
 *   each lives for one attempt and its failure is the lease's deadline, not a restart.
 *
 * rest_for_one: a restarted dispatcher starts with no permits granted, so the retrievers
 * (which may hold grants of the old one) are restarted with it; a retriever restarts alone.
 * The recorder is first so that it stops last: the dispatcher's shutdown lets running tasks
 * finish, and their outcomes are still written.
 */
import { Supervisor, type ChildSpec } from '../../actors/index.js';
import type { Context } from '../../runtime/index.js';
import { Dispatcher, dispatcherShutdownMs } from './dispatcher.js';
import { resolveOptions, type DeliveryOptions, type DeliverySettings } from './options.js';
import { DISPATCHER } from './protocol.js';
import { Recorder } from './recorder.js';
import { Retriever, type RetrieverConfig } from './retriever.js';

export const Delivery = Supervisor.define(import.meta.url, 'Delivery', (options: DeliveryOptions | undefined, ctx: Context) => {
  const settings = resolveOptions(options ?? {});
  // The control actors stay on this supervisor's thread (next to the store server when that
  // is scheduler 0): they talk to each other and to the store all the time. Only the delivery
  // tasks, which do the HTTP, are spread over `settings.schedulers`.
  const scheduler = ctx.self.scheduler;
  return {
    strategy: 'rest_for_one',
    intensity: 10,
    periodMs: 10_000,
    children: [
      { id: 'recorder', scheduler, shutdown: 10_000, start: { actor: Recorder } },
      { id: 'dispatcher', scheduler, shutdown: dispatcherShutdownMs(settings), start: { server: Dispatcher, args: settings, name: DISPATCHER } },
      { id: 'retrievers', scheduler, start: { supervisor: DeliveryRetrievers, args: settings } },
    ],
  };
});

export const DeliveryRetrievers = Supervisor.define(import.meta.url, 'DeliveryRetrievers', (settings: DeliverySettings, ctx: Context) => {
  const config: RetrieverConfig = { claimBatch: settings.claimBatch, leaseMs: settings.leaseMs, pollMs: settings.pollMs };
  const children: ChildSpec[] = Array.from({ length: settings.retrievers }, (_, i) => ({
    id: `retriever-${i}`,
    start: { actor: Retriever, args: [config] },
    scheduler: ctx.self.scheduler,
    // A retriever holds nothing that needs an orderly stop: its claims come back at their deadline.
    shutdown: 'brutal_kill',
  }));
  return { strategy: 'one_for_one', intensity: 10 * settings.retrievers, periodMs: 10_000, children };
});
