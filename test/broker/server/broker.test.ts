/**
 * The broker in this process, end to end through its actors: HTTP on 127.0.0.1 → frontend →
 * shards / store server / pull server. Pull delivery, and fault injection inside the tree:
 * a killed metadata shard, pull server or whole scheduler thread loses no accepted message
 * and the tree returns to shape.
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../../actors/index.js';
import { deliveryStats } from '../../../broker/delivery/index.js';
import { startBroker, type RunningBroker } from '../../../broker/server/broker.js';
import { FRONTEND, PULL_SERVER, shardName } from '../../../broker/server/names.js';
import type { Pid } from '../../../runtime/index.js';
import { ThreadKiller } from '../../fixtures/actors.js';
import { ApiClient } from '../support/http-client.js';
import { Subscriber } from '../support/subscriber.js';
import { eventually } from '../../support/receive.js';

/** How long a wait in these tests may take on a loaded 2-core machine. */
const WAIT_MS = 30_000;

const ADMIN = 'test-admin-key-0123456789';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(schedulers = 1): Promise<{ broker: RunningBroker; api: ApiClient }> {
  const b = await startBroker({
    store: { backend: 'memory' },
    adminKey: ADMIN,
    port: 0,
    schedulers,
    metadataShards: 4,
    logLevel: 'silent',
    drainMs: 2_000,
    // Short leases, so deliveries of a killed task come back within the test.
    delivery: { deliveryTimeoutMs: 1_000, leaseMarginMs: 500 },
  });
  cleanups.push(() => b.stop());
  const api = new ApiClient(b.url, ADMIN);
  cleanups.push(() => api.close());
  return { broker: b, api };
}


type Pulled = { ackId: string; id: string; payload: { seq: number }; attempt: number; redelivered: boolean };

async function pull(api: ApiClient, subId: string, max = 100, waitMs = 0): Promise<Pulled[]> {
  for (;;) {
    const r = await api.call('POST', `/v1/subscriptions/${subId}/pull`, { max, waitMs }).catch(() => null);
    if (r === null || r.status === 503) continue; // a component is restarting: poll again, as a client would
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.messages;
  }
}

describe('broker: pull delivery through the actors', () => {
  it('publish → pull → ack, nack redelivers with the next attempt, stats add up', async () => {
    const { api } = await broker();
    expect((await api.call('POST', '/v1/topics', { name: 'orders' })).status).toBe(201);
    const sub = (await api.call('POST', '/v1/topics/orders/subscriptions', { protocol: 'pull', ackDeadlineMs: 60_000 })).body;
    for (let seq = 0; seq < 50; seq++) expect((await api.call('POST', '/v1/topics/orders/messages', { payload: { seq } })).status).toBe(202);

    const first = await pull(api, sub.id, 100);
    expect(first.map((m) => m.payload.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(first.every((m) => m.attempt === 1 && !m.redelivered)).toBe(true);
    const [nacked, ...rest] = first;
    expect((await api.call('POST', `/v1/subscriptions/${sub.id}/ack`, { ackIds: rest.map((m) => m.ackId) })).body).toEqual({ acked: 49 });
    expect((await api.call('POST', `/v1/subscriptions/${sub.id}/nack`, { ackIds: [nacked.ackId] })).status).toBe(200);
    const again = await pull(api, sub.id, 10);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ id: nacked.id, attempt: 2, redelivered: true });
    expect((await api.call('POST', `/v1/subscriptions/${sub.id}/ack`, { ackIds: [again[0].ackId, nacked.ackId] })).body).toEqual({ acked: 1 });

    const stats = (await api.call('GET', `/v1/subscriptions/${sub.id}`)).body.stats;
    expect(stats).toMatchObject({ pending: 0, inFlight: 0, delivered: 50, failed: 1 });
    expect((await api.call('GET', '/v1/topics/orders')).body.stats).toMatchObject({ published: 50, pending: 0, subscriptions: 1 });
  });

  it('a long poll is answered by a publish that comes while it waits', async () => {
    const { api } = await broker();
    await api.call('POST', '/v1/topics', { name: 'late' });
    const sub = (await api.call('POST', '/v1/topics/late/subscriptions', { protocol: 'pull' })).body;
    const waiting = pull(api, sub.id, 10, 20_000);
    // The poll is parked before the publish: the first pull found nothing.
    await new Promise((r) => setTimeout(r, 200));
    expect((await api.call('POST', '/v1/topics/late/messages', { payload: { seq: 7 } })).status).toBe(202);
    const got = await waiting;
    expect(got.map((m) => m.payload.seq)).toEqual([7]);
  });

  it('a long poll whose client hung up claims nothing: the next poll gets the message', async () => {
    const { broker: b, api } = await broker();
    await api.call('POST', '/v1/topics', { name: 'gone' });
    const sub = (await api.call('POST', '/v1/topics/gone/subscriptions', { protocol: 'pull', ackDeadlineMs: 60_000 })).body;
    const hangUp = new AbortController();
    const abandoned = request(`${b.url}/v1/subscriptions/${sub.id}/pull`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ max: 10, waitMs: 20_000 }),
      signal: hangUp.signal,
    }).catch(() => 'aborted');
    // Parked before the hang-up (its first claim found nothing), then the client goes away.
    await new Promise((r) => setTimeout(r, 300));
    hangUp.abort();
    expect(await abandoned).toBe('aborted');
    await new Promise((r) => setTimeout(r, 300));
    expect((await api.call('POST', '/v1/topics/gone/messages', { payload: { seq: 1 } })).status).toBe(202);
    // With the abandoned poll still parked, it would have taken the message for a minute.
    const got = await pull(api, sub.id, 10, 5_000);
    expect(got.map((m) => m.payload.seq)).toEqual([1]);
    expect(got[0].attempt).toBe(1);
  });

  it('filters route by AMQP topic matching; a message past its TTL is dropped and counted expired', async () => {
    const { api } = await broker();
    await api.call('POST', '/v1/topics', { name: 'routed' });
    const subscribe = async (filter?: string) =>
      (await api.call('POST', '/v1/topics/routed/subscriptions', { protocol: 'pull', ...(filter === undefined ? {} : { filter }) })).body.id as string;
    const star = await subscribe('orders.*');
    const hash = await subscribe('orders.#');
    const all = await subscribe('#');
    const none = await subscribe();
    const keys = ['orders.created', 'orders.created.eu', 'orders', 'billing.paid', undefined];
    for (const [seq, routingKey] of keys.entries()) {
      expect((await api.call('POST', '/v1/topics/routed/messages', { payload: { seq }, ...(routingKey === undefined ? {} : { routingKey }) })).status).toBe(202);
    }
    const seqs = async (id: string) => (await pull(api, id, 100)).map((m) => m.payload.seq).sort();
    expect(await seqs(star)).toEqual([0]);
    expect(await seqs(hash)).toEqual([0, 1, 2]);
    expect(await seqs(all)).toEqual([0, 1, 2, 3, 4]);
    expect(await seqs(none)).toEqual([0, 1, 2, 3, 4]);

    // TTL: min(topic messageTtlMs, message ttlMs); expiry is applied when a claim meets it.
    expect((await api.call('POST', '/v1/topics/routed/messages', { payload: { seq: 9 }, ttlMs: 1 })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 50));
    expect(await seqs(none)).toEqual([]);
    expect((await api.call('GET', `/v1/subscriptions/${none}`)).body.stats.expired).toBe(1);
    expect((await api.call('GET', '/v1/topics/routed')).body.stats.expired).toBe(1);
  });

  it('an unacknowledged message comes back after its ack deadline', async () => {
    const { api } = await broker();
    await api.call('POST', '/v1/topics', { name: 'slow' });
    const sub = (await api.call('POST', '/v1/topics/slow/subscriptions', { protocol: 'pull', ackDeadlineMs: 1_000 })).body;
    await api.call('POST', '/v1/topics/slow/messages', { payload: { seq: 1 } });
    const [first] = await pull(api, sub.id, 1);
    const [second] = await pull(api, sub.id, 1, 10_000);
    expect(second).toMatchObject({ id: first.id, attempt: 2, redelivered: true });
  });
});

describe('broker: faults inside the tree lose no accepted message', () => {
  it('killing metadata shards, the pull server, retrievers, delivery tasks and a scheduler thread mid-traffic', async () => {
    const { broker: b, api } = await broker(1);
    await api.call('POST', '/v1/topics', { name: 'faults' });
    const sub = (await api.call('POST', '/v1/topics/faults/subscriptions', { protocol: 'pull', ackDeadlineMs: 1_000 })).body;
    const hook = await Subscriber.start(api);
    cleanups.push(() => hook.close());
    await hook.subscribe('faults');

    const accepted = new Set<number>();
    const delivered = new Set<number>();
    let publishing = true;
    // Set when the test ends, even early: the loops must stop before the client closes, or
    // each call fails at once and the loop spins without ever yielding to the event loop.
    let ended = false;
    cleanups.push(() => {
      ended = true;
    });
    // Until the publisher's last request is answered: `publishing = false` stops it from sending
    // more, but the answer in flight may still add an accepted message.
    let publisherRunning = true;
    const publisher = (async () => {
      for (let seq = 0; !ended && (publishing || seq < 300); seq++) {
        const r = await api.call('POST', '/v1/topics/faults/messages', { payload: { seq } }).catch(() => null);
        // No answer (a connection cut) or 503 (a component restarting): not accepted, as the client knows.
        if (r?.status === 202) accepted.add(seq);
        else if (r) expect(r.status, JSON.stringify(r.body)).toBe(503);
      }
    })().finally(() => {
      publisherRunning = false;
    });
    const consumer = (async () => {
      // Until every accepted message was pulled: a publish whose answer was lost (a cut
      // connection, a 503) may still have been stored and pulled, so counts alone can match early.
      while (!ended && (publisherRunning || [...accepted].some((seq) => !delivered.has(seq)))) {
        const batch = await pull(api, sub.id, 50, 500);
        for (const m of batch) delivered.add(m.payload.seq);
        // A lost ack is harmless: the message comes back after its deadline and is counted once.
        if (batch.length > 0) await api.call('POST', `/v1/subscriptions/${sub.id}/ack`, { ackIds: batch.map((m) => m.ackId) }).catch(() => null);
      }
    })();

    const restarted = async (name: string, pid: Pid) =>
      eventually(() => {
        const now = b.system.whereis(name);
        return now !== undefined && !now.equals(pid);
      }, `${name} restarted`, WAIT_MS);
    const kill = async (name: string) => {
      const pid = b.system.whereis(name);
      expect(pid, `${name} is running`).toBeDefined();
      b.system.exit(pid!, 'kill');
      await restarted(name, pid!);
    };
    await eventually(() => accepted.size > 50, '50 publishes', WAIT_MS);
    for (let i = 0; i < 4; i++) await kill(shardName(i));
    await eventually(() => accepted.size > 100, '100 publishes', WAIT_MS);
    await kill(PULL_SERVER);

    // Delivery: kill every retriever, then whatever tasks are running (on either thread).
    const retrievers = await retrieverPids(b);
    for (const pid of retrievers) b.system.exit(pid, 'kill');
    await eventually(async () => (await retrieverPids(b)).every((pid) => !retrievers.some((old) => old.equals(pid))), 'retrievers restarted', WAIT_MS);
    await eventually(() => accepted.size > 200, '200 publishes', WAIT_MS);
    let tasksKilled = 0;
    await eventually(async () => {
      for (const task of (await deliveryStats(b.system)).tasks) {
        b.system.exit(task.pid, 'kill');
        tasksKilled++;
      }
      return tasksKilled >= 3;
    }, 'three delivery tasks killed mid-flight', WAIT_MS);

    // Shards 1 and 3 and half the delivery tasks run on scheduler thread 1: take it down.
    await eventually(() => accepted.size > 250, '250 publishes', WAIT_MS);
    const killer = b.system.spawnOpt(ThreadKiller, ['exit'], { scheduler: 1 });
    b.system.send(killer, 'go');
    await eventually(async () => (await b.service.ready()) && accepted.size > 350, 'the tree back in shape', WAIT_MS);
    publishing = false;
    await publisher;
    await consumer;
    await eventually(() => [...accepted].every((seq) => hook.notifications.some((n) => n.body.payload.seq === seq)), 'every accepted message at the webhook', WAIT_MS);

    for (const seq of accepted) expect(delivered.has(seq), `message ${seq} got a 202 and was never pulled`).toBe(true);
    const children = await Supervisor.whichChildren(b.system, b.root);
    expect(children.every((c) => c.pid !== undefined)).toBe(true);
    expect((await api.call('GET', '/readyz')).status).toBe(200);
  }, 90_000);
});

describe('broker: the frontend killed', () => {
  it('comes back on the same port, with its killed predecessor\'s socket closed', async () => {
    const { broker: b, api } = await broker(0);
    const pid = b.system.whereis(FRONTEND)!;
    const url = b.url;
    b.system.exit(pid, 'kill');
    await eventually(() => {
      const now = b.system.whereis(FRONTEND);
      return now !== undefined && !now.equals(pid);
    }, 'the frontend restarted', WAIT_MS);
    expect(b.url).toBe(url);
    expect((await api.call('GET', '/healthz').catch(() => api.call('GET', '/healthz'))).status).toBe(200);
    expect((await api.call('POST', '/v1/topics', { name: 'after' })).status).toBe(201);
  });
});

/** The retriever actors, found through the delivery subtree (they have no names). */
async function retrieverPids(b: RunningBroker): Promise<Pid[]> {
  const delivery = (await Supervisor.whichChildren(b.system, b.root)).find((c) => c.id === 'delivery')!.pid!;
  const pool = (await Supervisor.whichChildren(b.system, delivery)).find((c) => c.id === 'retrievers')!.pid!;
  return (await Supervisor.whichChildren(b.system, pool)).map((c) => c.pid!).filter(Boolean);
}
