/**
 * The broker server as operators run it (`npm start`'s entry, a child process, lmdb on disk):
 * killed with SIGKILL mid-publish it loses no acknowledged message and invents none; stopped
 * with SIGTERM it finishes what it accepted and exits 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-process.js';
import { ApiClient } from '../support/http-client.js';

const ADMIN = 'test-admin-key-0123456789';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'postbox-server-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(dir: string): Promise<{ server: BrokerProcess; api: ApiClient }> {
  const server = await startBrokerProcess({ dataDir: dir, adminKey: ADMIN });
  const api = new ApiClient(server.url, ADMIN, 32);
  cleanups.push(() => server.kill('SIGKILL'));
  cleanups.push(() => api.close());
  return { server, api };
}

/** Pulls and acks until the subscription has nothing more; returns the payload sequence numbers. */
async function drain(api: ApiClient, subId: string): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    const r = await api.call('POST', `/v1/subscriptions/${subId}/pull`, { max: 100, waitMs: 0 });
    expect(r.status).toBe(200);
    const messages = r.body.messages as Array<{ ackId: string; payload: { seq: number } }>;
    if (messages.length === 0) return seen;
    for (const m of messages) seen.push(m.payload.seq);
    const acked = await api.call('POST', `/v1/subscriptions/${subId}/ack`, { ackIds: messages.map((m) => m.ackId) });
    expect(acked.status).toBe(200);
  }
}

/** Publishes seq 0..count-1 with `concurrency` requests in flight; records the seqs answered 202. */
function publishAll(api: ApiClient, topic: string, count: number, concurrency: number, accepted: Set<number>, onAccepted?: () => void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const seq = next++;
      try {
        const r = await api.call('POST', `/v1/topics/${topic}/messages`, { payload: { seq } });
        if (r.status === 202) {
          accepted.add(seq);
          onAccepted?.();
        }
      } catch {
        return; // the server is gone: this request (and the rest) were not accepted
      }
    }
  };
  return Promise.all(Array.from({ length: concurrency }, worker)).then(() => undefined);
}

describe('broker server process', () => {
  it('SIGKILL during 5,000 publishes: after a restart every 202 is delivered, nothing is invented', async () => {
    const dir = dataDir();
    const first = await run(dir);
    expect((await first.api.call('POST', '/v1/topics', { name: 'orders' })).status).toBe(201);
    const sub = await first.api.call('POST', '/v1/topics/orders/subscriptions', { protocol: 'pull' });
    expect(sub.status).toBe(201);

    const accepted = new Set<number>();
    let killed: Promise<unknown> | undefined;
    await publishAll(first.api, 'orders', 5_000, 32, accepted, () => {
      // Kill well into the stream, with many publishes in flight.
      if (accepted.size === 1_500 && !killed) killed = first.server.kill('SIGKILL');
    });
    expect(await (killed ?? first.server.kill('SIGKILL'))).toBe('SIGKILL');
    expect(accepted.size).toBeGreaterThanOrEqual(1_500);

    const second = await run(dir);
    const delivered = new Set(await drain(second.api, sub.body.id));
    for (const seq of accepted) expect(delivered.has(seq), `message ${seq} got a 202 and was lost`).toBe(true);
    for (const seq of delivered) expect(seq >= 0 && seq < 5_000, `invented message ${seq}`).toBe(true);
  }, 120_000);

  it('SIGTERM: publishes in flight finish, the store closes cleanly, exit code 0', async () => {
    const dir = dataDir();
    const first = await run(dir);
    expect((await first.api.call('POST', '/v1/topics', { name: 'orders' })).status).toBe(201);
    const sub = await first.api.call('POST', '/v1/topics/orders/subscriptions', { protocol: 'pull' });

    const accepted = new Set<number>();
    let stopped: Promise<unknown> | undefined;
    await publishAll(first.api, 'orders', 2_000, 16, accepted, () => {
      if (accepted.size === 300 && !stopped) stopped = first.server.kill('SIGTERM');
    });
    expect(await (stopped ?? first.server.kill('SIGTERM'))).toBe(0);

    const second = await run(dir);
    const delivered = new Set(await drain(second.api, sub.body.id));
    for (const seq of accepted) expect(delivered.has(seq), `message ${seq} got a 202 and was lost`).toBe(true);
    expect(await second.server.kill('SIGTERM')).toBe(0);
  }, 120_000);

  it('prints a generated admin key once and keeps it for the next start', async () => {
    const dir = dataDir();
    const server = await startBrokerProcess({ dataDir: dir, adminKey: '' });
    cleanups.push(() => server.kill('SIGKILL'));
    const key = /postbox admin key: (\S+)/.exec(server.output())?.[1];
    expect(key).toBeDefined();
    const api = new ApiClient(server.url, key!);
    cleanups.push(() => api.close());
    expect((await api.call('POST', '/v1/topics', { name: 't' })).status).toBe(201);
    expect(await server.kill('SIGTERM')).toBe(0);

    const again = await startBrokerProcess({ dataDir: dir, adminKey: '' });
    cleanups.push(() => again.kill('SIGKILL'));
    expect(again.output()).not.toMatch(/admin key/);
    const api2 = new ApiClient(again.url, key!);
    cleanups.push(() => api2.close());
    expect((await api2.call('GET', '/v1/topics/t')).status).toBe(200);
  }, 60_000);
});
