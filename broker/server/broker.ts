/**
 * Starts a broker in this process: an actor system, the supervision tree (tree.ts) and the
 * HTTP frontend, and returns a handle to stop it gracefully.
 *
 *   const broker = await startBroker({ store: { backend: 'lmdb', path: './data' }, adminKey });
 *   console.log(broker.url);
 *   await broker.stop();   // frontend drains, delivery stops, store closes last
 */
import { availableParallelism } from 'node:os';
import pino from 'pino';
import { GenServer, Supervisor } from '../../actors/index.js';
import { start, type ActorSystem, type Pid } from '../../runtime/index.js';
import { DISPATCHER, deliveryChildSpec, notifyPublished, sendConfirmation, type DeliveryOptions } from '../delivery/index.js';
import { buildHttpApp, DEFAULT_MAX_PAYLOAD_BYTES } from '../http/index.js';
import { ShardDirectory } from '../metadata/directory.js';
import { DEFAULT_JANITOR, type JanitorArgs } from '../store/janitor.js';
import type { StoreConfig } from '../store/index.js';
import { ActorBrokerService, type DeliveryHooks } from './actor-service.js';
import { brokerTree } from './tree.js';

export interface BrokerOptions {
  readonly store: StoreConfig;
  /** The admin key (Bearer token of role admin). */
  readonly adminKey: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** Scheduler threads besides the main thread (default: one per core, at most 4). */
  readonly schedulers?: number;
  /** Metadata shards on the hash ring (default 4). */
  readonly metadataShards?: number;
  /** Payload limit in bytes (default 1 MiB). */
  readonly maxPayloadBytes?: number;
  /** Requests per second for keys without their own rate; null: unlimited (the default). */
  readonly defaultRatePerSec?: number | null;
  readonly logger?: pino.Logger;
  /** Used when no logger is given (default: POSTBOX_LOG_LEVEL or info). */
  readonly logLevel?: pino.LevelWithSilent;
  readonly janitor?: JanitorArgs;
  /** Webhook delivery settings (broker/delivery/options.ts); tasks spread over every scheduler by default. */
  readonly delivery?: DeliveryOptions;
  /** Entries of the frontend's LRU caches, each: topic records, and subscriptions' fixed facts (default 10,000). */
  readonly topicCacheSize?: number;
  /** The HTTP layer's clock (rate limits, record timestamps); tests pin it. Default Date.now. */
  readonly now?: () => number;
  /** How long a stop lets requests in flight finish (default 10 s: SPEC's SIGTERM bound). */
  readonly drainMs?: number;
}

export interface RunningBroker {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly system: ActorSystem;
  readonly service: ActorBrokerService;
  readonly logger: pino.Logger;
  /** The root supervisor. */
  readonly root: Pid;
  /** Stops the tree in reverse order (requests in flight finish, the store closes last), then the system. */
  stop(): Promise<void>;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const logger = options.logger ?? pino({ level: options.logLevel ?? (process.env.POSTBOX_LOG_LEVEL as pino.LevelWithSilent | undefined) ?? 'info' });
  const schedulers = options.schedulers ?? Math.min(4, availableParallelism());
  // spinMicros 0: the broker's threads park at once instead of learning to spin (adaptive-spin.ts).
  // Spinning gained nothing measurable on B1, and in 2 of 5 B1 runs with it lmdb reported a
  // corrupt freelist (MDB_BAD_TXN), which 7 runs without it never did; until that is understood
  // the broker keeps the timing its store was tested under.
  const system = await start({ schedulers, spinMicros: 0, logger: logger.child({ component: 'runtime' }), shutdownTimeoutMs: 5_000 });
  try {
    const shards = new ShardDirectory(options.metadataShards ?? 4);
    const schedulerIds = Array.from({ length: schedulers + 1 }, (_, i) => i);
    const delivery: DeliveryHooks = {
      published: (topic) => notifyPublished(system, topic),
      confirm: async (sub) => {
        try {
          await sendConfirmation(sub);
        } catch (error) {
          // The subscription stays pending; creating it again sends a new request.
          logger.warn({ subscription: sub.id, endpoint: sub.endpoint, err: error }, 'subscription confirmation not delivered');
        }
      },
    };
    const service = new ActorBrokerService({ system, shards, delivery, components: [DISPATCHER] });
    const host = options.host ?? '127.0.0.1';
    let port = options.port ?? 8080;
    const spec = brokerTree({
      system,
      store: options.store,
      janitor: options.janitor ?? DEFAULT_JANITOR,
      shards,
      schedulerIds,
      delivery: deliveryChildSpec({ schedulers: schedulerIds, ...options.delivery }),
      drainMs: options.drainMs ?? 10_000,
      frontend: {
        service,
        host,
        port,
        createHttpServer: (s) =>
          buildHttpApp({
            service: s,
            adminKey: options.adminKey,
            maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
            defaultRatePerSec: options.defaultRatePerSec ?? null,
            logger: logger.child({ component: 'http' }),
            topicCacheSize: options.topicCacheSize,
            now: options.now,
          }),
        onListening: (address) => {
          port = address.port;
        },
      },
    });
    const started = await Supervisor.start(system, spec);
    if (!started.ok) throw new Error(`the broker did not start: ${describe(started.error)}`);
    const root = started.pid;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    logger.info({ host, port, store: options.store.backend, schedulers }, 'broker listening');
    let stopping: Promise<void> | undefined;
    return {
      get url() {
        return `http://${urlHost}:${port}`;
      },
      host,
      get port() {
        return port;
      },
      system,
      service,
      logger,
      root,
      stop: () =>
        (stopping ??= (async () => {
          try {
            await GenServer.stop(system, root, 'shutdown');
          } finally {
            await system.shutdown();
          }
        })()),
    };
  } catch (error) {
    await system.shutdown();
    throw error;
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : JSON.stringify(reason) ?? String(reason);
}
