/**
 * The broker's supervision tree (SPEC §3): every component is an actor, restarted on failure
 * without losing an accepted message (everything accepted is in the store before it is
 * answered; the other components keep only caches and work they can take up again).
 *
 *   broker (one_for_one, main thread)
 *   ├── store        StoreServer: owns the MessageStore (main thread: lmdb handles, one writer)
 *   ├── janitor      sweeps expired dedup records and old acknowledged deliveries
 *   ├── metadata     one_for_one
 *   │   └── shard 0..N-1   MetadataShard, spread over the scheduler threads
 *   ├── pull         pull server (long polls), main thread
 *   ├── delivery     retrievers + delivery tasks (broker/delivery), tasks spread over threads
 *   └── frontend     HTTP server, main thread
 *
 * one_for_one: components find each other by registered name, never by pid, and keep only
 * what they can read again from the store, so a restarted component needs no restart of the
 * others (restarting the frontend with the pull server would drop every open connection).
 * A call that meets a component while it restarts fails (503 to the client) and is retried.
 * Start order still matters for startup and shutdown, which runs in reverse: the frontend stops taking requests and finishes those in flight,
 * and the store closes last, after every write it accepted.
 */
import { GenServer, type ChildSpec, type SupervisorSpec } from '../../actors/index.js';
import type { ActorSystem, Context } from '../../runtime/index.js';
import { MetadataShard } from '../metadata/shard.js';
import type { ShardDirectory } from '../metadata/directory.js';
import { pullServer } from '../pull/pull-server.js';
import { StoreJanitor, type JanitorArgs } from '../store/janitor.js';
import { StoreServer, STORE_SERVER } from '../store/store-server.js';
import type { StoreConfig } from '../store/index.js';
import { frontendServer, type FrontendOptions } from './frontend-server.js';
import { FRONTEND, PULL_SERVER } from './names.js';

export interface TreeOptions {
  readonly system: ActorSystem;
  readonly store: StoreConfig;
  readonly janitor: JanitorArgs;
  readonly shards: ShardDirectory;
  /** Scheduler ids to spread shards over (0 is the main thread). */
  readonly schedulerIds: readonly number[];
  /** Webhook delivery's subtree, when the broker delivers webhooks. */
  readonly delivery: ChildSpec | null;
  readonly frontend: FrontendOptions;
  /** How long the frontend may take to finish requests in flight when stopping. */
  readonly drainMs: number;
}

export function brokerTree(options: TreeOptions): SupervisorSpec {
  const shardChildren: ChildSpec[] = options.shards.shardNames.map((name, index) => ({
    id: name,
    scheduler: options.schedulerIds[index % options.schedulerIds.length],
    start: { server: MetadataShard, args: { index, shardCount: options.shards.shardCount }, name },
  }));
  const children: ChildSpec[] = [
    { id: 'store', scheduler: 0, shutdown: 10_000, start: { server: StoreServer, args: options.store, name: STORE_SERVER } },
    { id: 'janitor', scheduler: 0, start: { server: StoreJanitor, args: options.janitor } },
    { id: 'metadata', type: 'supervisor', start: { supervisor: { strategy: 'one_for_one', intensity: 10, periodMs: 5_000, children: shardChildren } } },
    {
      id: 'pull',
      start: (ctx: Context) => GenServer.startLink(ctx, pullServer(options.system), undefined, { name: PULL_SERVER }),
    },
  ];
  if (options.delivery) children.push(options.delivery);
  // Made once, outside the start function: it remembers the port it got, for its restarts.
  const frontend = frontendServer(options.frontend);
  children.push({
    id: 'frontend',
    shutdown: options.drainMs,
    start: (ctx: Context) => GenServer.startLink(ctx, frontend, undefined, { name: FRONTEND }),
  });
  return { strategy: 'one_for_one', intensity: 10, periodMs: 5_000, children };
}
