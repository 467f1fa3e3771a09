/**
 * The store server's batch request (several operations in one call, each answered on its own)
 * and the publish batcher built on it, on a real actor system over the lmdb store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GenServer } from '../../actors/index.js';
import { PublishBatcher } from '../../broker/server/publish-batcher.js';
import { StoreOperationError, StoreServer, STORE_SERVER, storeCall, storeCallBatch } from '../../broker/store/store-server.js';
import type { NewMessage } from '../../broker/store/types.js';
import { start, type ActorSystem } from '../../runtime/index.js';

let system: ActorSystem;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postbox-store-server-'));
  system = await start({ logLevel: 'silent', schedulers: 0, shutdownTimeoutMs: 500 });
  const started = await GenServer.start(system, StoreServer, { backend: 'lmdb', path: dir }, { name: STORE_SERVER, scheduler: 0 });
  if (!started.ok) throw new Error(`store server did not start: ${String(started.error)}`);
  await storeCall(system, 'createTopic', { name: 't', options: { messageTtlMs: 60_000, maxAttempts: 3, dedupWindowMs: 60_000 }, createdAt: Date.now() });
  await storeCall(system, 'createSubscription', {
    id: 'sub-1', topic: 't', protocol: 'pull', endpoint: null, filter: null, status: 'active', confirmToken: null, secret: 's',
    maxAttempts: 3, ackDeadlineMs: 30_000, backoff: { initialMs: 100, maxMs: 1_000, multiplier: 2 }, createdAt: Date.now(), activatedAt: Date.now(),
  } as never);
});

afterEach(async () => {
  await system.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const message = (id: string, json: unknown, idempotencyKey: string | null = null): NewMessage => ({
  id,
  payload: new TextEncoder().encode(JSON.stringify(json)),
  encoding: 'json',
  attributes: {},
  routingKey: '',
  ttlMs: null,
  idempotencyKey,
});

describe('store server batch', () => {
  it('answers each operation of a batch in order; one refused operation fails alone', async () => {
    const now = Date.now();
    const answers = await storeCallBatch(system, [
      { op: 'publish', args: ['t', [message('m-1', 1)], now] },
      { op: 'publish', args: ['t', [message('bad id with spaces', 2)], now] },
      { op: 'getTopic', args: ['t'] },
      { op: 'publish', args: ['no-such-topic', [message('m-2', 3)], now] },
    ]);
    expect(answers[0]).toEqual([{ ok: true, id: 'm-1', duplicate: false }]);
    expect(answers[1]).toBeInstanceOf(StoreOperationError);
    expect((answers[1] as StoreOperationError).message).toMatch(/message id/);
    expect(answers[2]).toMatchObject({ name: 't' });
    expect(answers[3]).toBeUndefined();
    // Only the accepted message was stored.
    expect(await storeCall(system, 'subscriptionStats', 'sub-1')).toMatchObject({ pending: 1 });
  });

  it('refuses an unknown operation in a batch, and a batch that is not an array, without stopping', async () => {
    const [answer] = await storeCallBatch(system, [{ op: 'dropEverything' as never, args: [] as never }]);
    expect(answer).toBeInstanceOf(StoreOperationError);
    expect((answer as StoreOperationError).message).toMatch(/unknown store operation: dropEverything/);
    const raw = (await GenServer.call(system, STORE_SERVER, { batch: 'nope' }, 5_000)) as { ok: boolean; error: { message: string } };
    expect(raw.ok).toBe(false);
    expect(raw.error.message).toMatch(/expected batch to be an array/);
    expect(await storeCall(system, 'getTopic', 't')).toMatchObject({ name: 't' });
  });
});

describe('publish batcher', () => {
  it('gathers the publishes of one turn into one call; each gets its own answer or error', async () => {
    const batcher = new PublishBatcher(system);
    const server = system.whereis(STORE_SERVER)!;
    const receivedBefore = system.info(server)!.received;
    const ids = Array.from({ length: 50 }, (_, i) => `b-${i}`);
    const outcomes = await Promise.allSettled([
      ...ids.map((id, i) => batcher.publish('t', [message(id, i)])),
      batcher.publish('t', [message('dup-1', 'x', 'key-1')]),
      batcher.publish('no-such-topic', [message('lost', 0)]),
      batcher.publish('t', [message('bad id', 0)]),
    ]);
    // 53 publishes of one turn reached the store server as one message (one call).
    expect(system.info(server)!.received - receivedBefore).toBe(1);
    for (let i = 0; i < ids.length; i++) expect(outcomes[i]).toEqual({ status: 'fulfilled', value: [{ ok: true, id: ids[i], duplicate: false }] });
    expect(outcomes[50]).toEqual({ status: 'fulfilled', value: [{ ok: true, id: 'dup-1', duplicate: false }] });
    expect(outcomes[51]).toEqual({ status: 'fulfilled', value: undefined });
    expect(outcomes[52].status).toBe('rejected');
    expect((outcomes[52] as PromiseRejectedResult).reason).toBeInstanceOf(StoreOperationError);
    // Dedup still holds across batches: the same key and content is a duplicate.
    expect(await batcher.publish('t', [message('dup-2', 'x', 'key-1')])).toEqual([{ ok: true, id: 'dup-1', duplicate: true }]);
    expect(await storeCall(system, 'subscriptionStats', 'sub-1')).toMatchObject({ pending: 51 });
  });

  it('rejects every publish of a batch when the store server is not there', async () => {
    const pid = system.whereis(STORE_SERVER)!;
    await GenServer.stop(system, pid);
    const batcher = new PublishBatcher(system);
    const outcomes = await Promise.allSettled([batcher.publish('t', [message('x-1', 1)]), batcher.publish('t', [message('x-2', 2)])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
