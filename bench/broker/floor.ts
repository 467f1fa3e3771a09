/**
 * The HTTP floor: what this machine and this load client allow before the broker does any
 * work. A bare node:http server, in the bench process where the broker runs, answers every
 * `POST /v1/topics/:topic/messages` as the broker's publish route does on success (it reads
 * the body, parses it as JSON, answers 202 `{id, duplicate:false}` with a fresh id) and does
 * nothing else: no routing framework, no validation, no store, no actors.
 *
 * The same load client publishing to it with the same concurrency gives the most single
 * publishes per second any broker written on node:http could be answered with here. B1-publish
 * single and B3 show it as a baseline measured in the same run, so their figures read as a
 * share of what the transport leaves, not only against servers that speak binary protocols.
 *
 * The webhook floor is the same idea for push delivery: the broker's own `post()` (undici,
 * broker/delivery/http.ts) sends one signed Notification after another from this process to the
 * load client's webhook endpoints (the B1 webhook sinks), with no store, no actors and no
 * retries: the most webhook deliveries per second this machine's two cores carry over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { post } from '../../broker/delivery/http.js';
import { notificationRequest, type SignedRequest } from '../../broker/delivery/notification.js';
import { loadClient, type LoadClient } from './client-process.js';
import type { SinksResult } from './jobs.js';
import { nowUs, publishBody } from './payload.js';

const PUBLISH_PATH = /^\/v1\/topics\/[^/]+\/messages$/;

export interface FloorServer {
  readonly url: string;
  /** CPU of this process (µs, all threads) since the server started: the server's cost. */
  cpuMicros(): number;
  close(): Promise<void>;
}

export async function startFloorServer(): Promise<FloorServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || !PUBLISH_PATH.test(req.url ?? '')) {
        res.writeHead(404).end();
        return;
      }
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const body = `{"id":"${randomUUID()}","duplicate":false}`;
      res.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cpu0 = process.cpuUsage();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cpuMicros: () => {
      const cpu = process.cpuUsage(cpu0);
      return cpu.user + cpu.system;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A floor server and a load client pointed at it, for the length of `fn`. */
export async function withFloor<T>(fn: (floor: FloorServer, client: LoadClient) => Promise<T>): Promise<T> {
  const floor = await startFloorServer();
  const client = loadClient({ url: floor.url, key: 'floor' });
  try {
    return await fn(floor, client);
  } finally {
    await client.close();
    await floor.close();
  }
}

export interface WebhookFloorPlan {
  readonly endpoints: number;
  /** Posts in flight per endpoint (the broker's perEndpointConcurrency). */
  readonly perEndpoint: number;
  readonly posts: number;
  readonly capMs: number;
}

/** Webhook posts answered 2xx per second, and this process's CPU per post (µs). */
export async function webhookFloor(client: LoadClient, plan: WebhookFloorPlan): Promise<{ rate: number; cpuUs: number }> {
  const { urls } = await client.run<SinksResult>({ kind: 'sinks', count: plan.endpoints });
  const posted = await postAll(urls, plan).catch(async (error: unknown) => {
    await client.run({ kind: 'closeSinks' });
    throw error;
  });
  const closed = await client.run<SinksResult>({ kind: 'closeSinks' });
  if (closed.received !== posted.ok) throw new Error(`webhook floor: ${posted.ok} posts answered 2xx, but the endpoints saw ${closed.received}`);
  return { rate: (posted.ok * 1000) / posted.ms, cpuUs: posted.cpuUs / posted.ok };
}

async function postAll(urls: readonly string[], plan: WebhookFloorPlan): Promise<{ ok: number; ms: number; cpuUs: number }> {
  const request = sampleNotification();
  let next = 0;
  let ok = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stopAt = t0 + plan.capMs;
  await Promise.all(
    urls.flatMap((url) =>
      Array.from({ length: plan.perEndpoint }, async () => {
        while (next < plan.posts && performance.now() < stopAt) {
          next++;
          const outcome = await post(url, request, 10_000);
          if (!outcome.ok) throw new Error(`webhook floor: ${url} answered ${outcome.status}: ${outcome.error}`);
          ok++;
        }
      }),
    ),
  );
  const cpu = process.cpuUsage(cpu0);
  return { ok, ms: performance.now() - t0, cpuUs: cpu.user + cpu.system };
}

/** A signed Notification carrying one B payload, as a B1 webhook delivery sends it. */
function sampleNotification(): SignedRequest {
  const payload = Buffer.from(JSON.stringify((JSON.parse(publishBody(nowUs())) as { payload: unknown }).payload), 'utf8');
  const message = { id: randomUUID(), topic: 'floor', payload, encoding: 'json', attributes: {}, routingKey: '', publishedAt: Date.now(), expiresAt: Date.now() + 60_000 } as const;
  return notificationRequest({ ackId: randomUUID(), subscriptionId: 'floor', message, attempt: 1, redelivered: false, deadline: Date.now() + 30_000 }, 'floor-secret');
}
