/**
 * A broker for one B workload: started in this process over a durable lmdb store in a fresh
 * temporary directory (removed after), on a free 127.0.0.1 port, with the load client of
 * client-process.ts pointed at it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../broker/server/broker.js';
import { loadClient, type LoadClient } from './client-process.js';

/** Scheduler threads of the broker; with the main thread, the JS threads a B figure ran on.
 * BENCH_BROKER_SCHEDULERS=0 puts every actor on the main thread (for profiling it whole). */
export const BROKER_SCHEDULERS = Number(process.env.BENCH_BROKER_SCHEDULERS ?? 1);
export const BROKER_THREADS = 1 + BROKER_SCHEDULERS;

export async function withBroker<T>(fn: (broker: RunningBroker, client: LoadClient) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'postbox-bench-'));
  const adminKey = randomBytes(24).toString('hex');
  const broker = await startBroker({ store: process.env.BENCH_BROKER_STORE === 'memory' ? { backend: 'memory' } : { backend: 'lmdb', path: dir }, adminKey, port: 0, logLevel: 'silent', schedulers: BROKER_SCHEDULERS });
  const client = loadClient({ url: broker.url, key: adminKey });
  try {
    return await fn(broker, client);
  } finally {
    await client.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
