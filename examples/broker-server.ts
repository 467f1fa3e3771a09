/**
 * The broker server: `npm start` (SPEC §3 "The server").
 *
 *   npm start                         lmdb in ./data, http://127.0.0.1:8080
 *   npm start -- --port 9000 --store memory
 *   POSTBOX_ADMIN_KEY=… npm start
 *
 * SIGTERM or SIGINT: stop taking requests, finish those in flight, close the store, exit 0.
 */
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import pino from 'pino';
import { resolveAdminKey } from '../broker/server/admin-key.js';
import { startBroker } from '../broker/server/broker.js';
import { parseServerConfig, USAGE } from '../broker/server/config.js';

/** SPEC: a stop signal ends the process within 10 s. The drain gets most of it. */
const STOP_BUDGET_MS = 10_000;
const DRAIN_MS = 7_000;

if (isMainThread) await main();

async function main(): Promise<void> {
  const parsed = parseServerConfig(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.help) {
      console.log(USAGE);
      return;
    }
    for (const error of parsed.errors) console.error(`postbox: ${error}`);
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const config = parsed.config;
  const logger = pino({ level: process.env.POSTBOX_LOG_LEVEL ?? 'info' });
  const persistent = config.store === 'lmdb';
  const admin = resolveAdminKey(config.adminKey, config.dataDir, persistent);
  const broker = await startBroker({
    store: config.store === 'memory' ? { backend: 'memory' } : { backend: 'lmdb', path: join(config.dataDir, 'store') },
    adminKey: admin.key,
    host: config.host,
    port: config.port,
    schedulers: config.schedulers ?? undefined,
    maxPayloadBytes: config.maxPayloadBytes,
    defaultRatePerSec: config.defaultRatePerSec,
    drainMs: DRAIN_MS,
    logger,
  });
  if (admin.source === 'generated') {
    // Printed once, on stdout and not through the logs, so it does not end up in log storage.
    const where = persistent ? ` (saved in ${join(config.dataDir, 'admin.key')})` : ' (memory store: a new key every start)';
    process.stdout.write(`postbox admin key: ${admin.key}${where}\n`);
  }
  process.stdout.write(`postbox listening on ${broker.url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('did not stop in time; exiting');
      process.exit(1);
    }, STOP_BUDGET_MS);
    timer.unref();
    broker.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
